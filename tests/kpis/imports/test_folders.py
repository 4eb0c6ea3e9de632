"""Interrupted imports' working folders (raw upload with child identifiers, spill files)
are deleted at start-up; folders of imports under way, and uploads kept on purpose, stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from services.kpis.config import KpisSettings
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.folders import sweep_abandoned
from services.kpis.main import create_app
from tests.kpis.imports.conftest import TEST_KEY

HOUR = 3600


def _settings(tmp_path: Path, **overrides: object) -> ImportSettings:
    values: dict[str, object] = {
        "profile": "test",
        "pseudonymisation_key": SecretStr(TEST_KEY),
        "upload_dir": tmp_path / "uploads",
    }
    return ImportSettings(**(values | overrides))  # type: ignore[arg-type]


def _job_folder(root: Path, name: str, upload_age: float, spill_age: float | None) -> Path:
    """A job's folder as an import leaves it: the raw upload, maybe a spill folder."""
    folder = root / name
    folder.mkdir(parents=True)
    upload = folder / "00.upload"
    upload.write_bytes(b"Child Unique ID,Date of Referral\r\nSENTINEL-CHILD,01/10/2020\r\n")
    stamped = [(upload, upload_age), (folder, upload_age)]
    if spill_age is not None:
        spill = folder / "spill-abc123"
        spill.mkdir()
        part = spill / "rows0.0.arrow"
        part.write_bytes(b"\x00" * 16)
        stamped += [(part, spill_age), (spill, spill_age)]
    now = time.time()
    for path, age in stamped:
        os.utime(path, (now - age, now - age))
    return folder


def test_interrupted_imports_folders_go(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    root = settings.upload_dir
    killed = _job_folder(root, "killed", upload_age=3 * HOUR, spill_age=2 * HOUR)
    queued_long_ago = _job_folder(root, "old", upload_age=2 * HOUR, spill_age=None)
    under_way = _job_folder(root, "running", upload_age=3 * HOUR, spill_age=5)
    just_uploaded = _job_folder(root, "new", upload_age=5, spill_age=None)

    assert sweep_abandoned(settings) == 2
    assert not killed.exists()
    assert not queued_long_ago.exists()
    assert (under_way / "00.upload").exists()
    assert (under_way / "spill-abc123").exists()
    assert (just_uploaded / "00.upload").exists()


def test_uploads_kept_by_setting_stay(tmp_path: Path) -> None:
    settings = _settings(tmp_path, keep_raw_uploads=True)
    kept = _job_folder(settings.upload_dir, "kept", upload_age=3 * HOUR, spill_age=2 * HOUR)

    assert sweep_abandoned(settings) == 1
    assert (kept / "00.upload").exists()
    assert not (kept / "spill-abc123").exists()


def test_the_age_is_a_setting(tmp_path: Path) -> None:
    settings = _settings(tmp_path, abandoned_after_s=4 * HOUR)
    folder = _job_folder(settings.upload_dir, "killed", upload_age=3 * HOUR, spill_age=None)
    assert sweep_abandoned(settings) == 0
    assert folder.exists()
    assert sweep_abandoned(settings, now=time.time() + 2 * HOUR) == 1


def test_a_folder_changing_while_it_is_read_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that goes between listing and looking (an import deleting its spill files)
    means the folder is in use: it stays, and start-up does not fail."""
    settings = _settings(tmp_path)
    folder = _job_folder(settings.upload_dir, "busy", upload_age=3 * HOUR, spill_age=2 * HOUR)
    listed = list(folder.rglob("*"))
    monkeypatch.setattr(Path, "rglob", lambda self, pattern: [*listed, self / "gone.arrow"])
    assert sweep_abandoned(settings) == 0
    assert (folder / "00.upload").exists()


def test_no_upload_folder_yet(tmp_path: Path) -> None:
    assert sweep_abandoned(_settings(tmp_path)) == 0


async def test_the_service_sweeps_when_it_starts(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    killed = _job_folder(settings.upload_dir, "killed", upload_age=3 * HOUR, spill_age=None)
    app = create_app(KpisSettings(profile="test"), settings)
    async with app.router.lifespan_context(app):
        assert not killed.exists()
