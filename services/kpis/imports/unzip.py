"""Zip archives in an upload, opened into their files (a workbook, itself a zip, is kept).

Members are written beside the upload, named by their path in the archive (its folders
often carry the year: ``2017-18/episodes.csv``). Bounded: at most :data:`MAX_MEMBERS` files
and ``max_bytes`` of content in all, counted as written (a member's declared size may lie).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 200
COPY_BYTES = 1 << 20
#: what a workbook holds, whatever its extension
WORKBOOK_MARKER = "[Content_Types].xml"


class BadArchive(Exception):
    """The archive cannot be opened, or holds more than allowed."""


@dataclass(frozen=True)
class Member:
    path: Path
    name: str


def is_archive(path: Path) -> bool:
    """A zip that is not a workbook."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return WORKBOOK_MARKER not in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _wanted(info: zipfile.ZipInfo) -> bool:
    parts = PurePosixPath(info.filename).parts
    hidden = any(p.startswith((".", "__MACOSX")) for p in parts)
    return not info.is_dir() and not hidden


def expand(path: Path, name: str, max_bytes: int) -> list[Member]:
    """The archive's files written beside it; raises :class:`BadArchive`."""
    members: list[Member] = []
    written = 0
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if _wanted(i)]
            if not infos:
                raise BadArchive("the zip archive holds no file")
            if len(infos) > MAX_MEMBERS:
                raise BadArchive(f"the zip archive holds more than {MAX_MEMBERS} files")
            for number, info in enumerate(infos):
                target = path.with_name(f"{path.stem}-{number:03d}.member")
                members.append(Member(target, f"{name}/{info.filename}"[-200:]))
                with archive.open(info) as source, target.open("wb") as out:
                    while block := source.read(COPY_BYTES):
                        written += len(block)
                        if written > max_bytes:
                            raise BadArchive("the zip archive's content is larger than allowed")
                        out.write(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        discard(members)
        raise BadArchive("the zip archive cannot be read (damaged or encrypted)") from exc
    except BadArchive:
        discard(members)
        raise
    return members


def discard(members: list[Member]) -> None:
    for member in members:
        member.path.unlink(missing_ok=True)
