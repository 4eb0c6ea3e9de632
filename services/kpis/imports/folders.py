"""Housekeeping of the imports' working folders (raw uploads and their spill files).

An import deletes its folder when it ends (unless raw uploads are kept by setting). A
process killed midway (a crash, an out-of-memory kill, a deploy) never gets there: its
raw upload, which holds child identifiers, and its spill files would stay on disk for
ever. At start-up the service deletes every folder nothing has touched for
``abandoned_after_s``: a running import writes its spill files block by block, so only an
interrupted one's folder gets that old. Time, not job status, decides, so replicas that
share the folder never delete each other's imports under way.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from services.kpis.imports.config import TEMP_FOLDER, ImportSettings
from shared.logs import get_logger

log = get_logger(__name__)

SPILL_PREFIX = "spill-"


def _last_touched(folder: Path) -> float:
    """The newest modification time in the folder's tree; now, when the tree changes while
    it is read (a file gone between listing and looking: an import is at work in it)."""
    try:
        return max(p.stat().st_mtime for p in [folder, *folder.rglob("*")])
    except OSError:
        return time.time()


def sweep_abandoned(settings: ImportSettings, now: float | None = None) -> int:
    """Delete the working folders of interrupted imports; returns how many went. With
    ``keep_raw_uploads`` the uploads stay (kept on purpose) and only spill folders go."""
    root = settings.upload_dir
    if not root.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - settings.abandoned_after_s
    swept = 0
    for folder in root.iterdir():
        if folder.name == TEMP_FOLDER or not folder.is_dir() or _last_touched(folder) >= cutoff:
            continue
        targets = [folder]
        if settings.keep_raw_uploads:
            targets = [
                p for p in folder.iterdir() if p.is_dir() and p.name.startswith(SPILL_PREFIX)
            ]
        for target in targets:
            shutil.rmtree(target, ignore_errors=True)
            swept += 1
    if swept:
        log.warning("imports.abandoned_folders_deleted", folders=swept)
    return swept


def use_own_temp_dir(settings: ImportSettings) -> str | None:
    """Make the service's own writable folder the process's temporary folder; returns the
    one it replaces (give it back with :func:`restore_temp_dir`).

    The multipart parser spools every uploaded file over 1 MB to a temporary file while the
    request is read, in Python's temporary folder (``TMPDIR``, else ``/tmp``...). The pods
    run with a read-only root filesystem: without a writable temporary folder a real Annex A
    upload failed with "No usable temporary directory found". The service spools into a
    folder beside its uploads instead, which it already needs writable (and which holds the
    same data). One kpis process serves one app, so the process-wide setting is its own.
    """
    folder = settings.own_temp_dir
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder.resolve())
    log.info("imports.temp_dir", folder=str(folder))
    return previous


def restore_temp_dir(previous: str | None) -> None:
    tempfile.tempdir = previous
