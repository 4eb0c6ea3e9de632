"""Uploaded files: streamed to disk within the size limit, gzip opened, bombs refused.

An upload is a list of files, each plain, a zip archive (its files, folders kept) or a
gzip file (one file). Before anything parses them (promise D5):

- the whole upload is at most ``max_upload_bytes`` as sent (413, naming the limit);
- a gzip file holds one member and unpacks to at most ``max_unpacked_bytes``, and past
  1 MiB to at most ``max_compression_ratio`` times its size (413); it is replaced by its
  content (named without ``.gz``), which is then judged like any other file;
- a zip (or a workbook, itself a zip) is held to the same bounds by ``archives``;
- a kind read from one file (``cin_census``) takes one file: a zip around it holds exactly
  one member, which replaces it.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
import zlib
from pathlib import Path
from typing import Protocol

from services.kpis.imports import archives, unzip
from services.kpis.imports.archives import ArchiveLimits
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.pipeline import Upload
from shared.problems import DomainError, field_error, invalid

GZIP_MAGIC = b"\x1f\x8b"
BLOCK = 1 << 20
#: kinds read from a single file: a zip around it may hold that one file only
ONE_FILE_KINDS = frozenset({"cin_census"})


class ContentTooLarge(DomainError):
    status, code, title = 413, "content-too-large", "Content too large"


class Incoming(Protocol):
    """An uploaded file as the web layer hands it over (FastAPI's ``UploadFile``)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


def _too_large(detail: str, code: str) -> ContentTooLarge:
    return ContentTooLarge(detail, extensions={"errors": [field_error("files", detail, code)]})


def display_name(incoming: Incoming, index: int) -> str:
    name = Path(incoming.filename or "").name.strip()
    return name[:100] if name else f"file {index + 1}"


def folder_for(settings: ImportSettings) -> Path:
    folder = settings.upload_dir / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def save(
    files: list[Incoming], settings: ImportSettings, kind: str
) -> tuple[list[Upload], str]:
    """Stream each file to disk in chunks; the combined SHA-256 of kind and file digests.
    Past ``max_upload_bytes`` in all: nothing kept, 413 stating the limit."""
    folder = folder_for(settings)
    saved: list[Upload] = []
    digests: list[str] = []
    total = 0
    for index, incoming in enumerate(files):
        target = folder / f"{index:02d}.upload"
        digest = hashlib.sha256()
        with target.open("wb") as out:
            while chunk := await incoming.read(settings.upload_chunk_bytes):
                total += len(chunk)
                if total > settings.max_upload_bytes:
                    out.close()
                    discard([*saved, Upload(target, "")])
                    raise _too_large(
                        f"the upload is larger than the {settings.max_upload_bytes:,} bytes "
                        "allowed (KPIS_MAX_UPLOAD_BYTES)",
                        "upload_size",
                    )
                digest.update(chunk)
                out.write(chunk)
        saved.append(Upload(target, display_name(incoming, index)))
        digests.append(digest.hexdigest())
    combined = hashlib.sha256((kind + ":" + ",".join(sorted(digests))).encode()).hexdigest()
    return saved, combined


def discard_folder(uploads: list[Upload]) -> None:
    """Everything an upload left on disk (its files and what was unpacked from them)."""
    for folder in {u.path.parent for u in uploads}:
        shutil.rmtree(folder, ignore_errors=True)


def discard(uploads: list[Upload]) -> None:
    for upload in uploads:
        upload.path.unlink(missing_ok=True)
    for folder in {u.path.parent for u in uploads}:
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _gunzip(upload: Upload, index: int, limits: ArchiveLimits) -> Upload:
    """The gzip file's one member written beside it (the gzip removed); refused past the
    bounds (413) or with more than one member or damaged (422)."""
    packed = upload.path.stat().st_size
    target = upload.path.with_suffix(".gunzipped")
    where = f"file {index + 1}"
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    produced = 0
    try:
        with upload.path.open("rb") as source, target.open("wb") as out:
            while not inflater.eof and (chunk := source.read(BLOCK)):
                data = inflater.decompress(chunk, BLOCK)
                while True:
                    produced += len(data)
                    if produced > limits.max_unpacked_bytes:
                        raise _too_large(
                            f"{where}: the file unpacks to more than "
                            f"{limits.max_unpacked_bytes:,} bytes",
                            "unpacked_size",
                        )
                    if produced >= archives.RATIO_FLOOR_BYTES and produced > (
                        limits.max_ratio * packed
                    ):
                        raise _too_large(
                            f"{where}: the file unpacks to more than "
                            f"{limits.max_ratio:g} times its size",
                            "compression_ratio",
                        )
                    out.write(data)
                    if not inflater.unconsumed_tail:
                        break
                    data = inflater.decompress(inflater.unconsumed_tail, BLOCK)
            rest = inflater.unused_data + source.read(BLOCK)
        if not inflater.eof:
            raise invalid("files", f"{where}: the gzip file is cut short", "damaged")
        if rest.strip(b"\x00"):
            raise invalid(
                "files", f"{where}: a gzip upload holds one file; this holds more", "members"
            )
    except zlib.error:
        target.unlink(missing_ok=True)
        raise invalid("files", f"{where}: the gzip file cannot be read", "damaged") from None
    except DomainError:
        target.unlink(missing_ok=True)
        raise
    upload.path.unlink(missing_ok=True)
    name = upload.name[:-3] if upload.name.lower().endswith(".gz") else upload.name
    return Upload(target, name or f"file {index + 1}")


def _single_member(upload: Upload, index: int, limits: ArchiveLimits) -> Upload:
    """A zip sent for a one-file kind: its one file, or 422."""
    try:
        members = unzip.expand(upload.path, upload.name, limits.max_unpacked_bytes)
    except unzip.BadArchive as exc:
        raise invalid("files", f"file {index + 1}: {exc}", "archive") from None
    if len(members) != 1:
        unzip.discard(members)
        raise invalid(
            "files",
            f"file {index + 1}: this kind of import reads one file; the zip holds {len(members)}",
            "members",
        )
    upload.path.unlink(missing_ok=True)
    return Upload(members[0].path, members[0].name.rsplit("/", 1)[-1][:100])


def unpack(uploads: list[Upload], settings: ImportSettings, kind: str) -> list[Upload]:
    """The uploads as the pipeline reads them (module note); raises a problem, and then
    the caller discards what is on disk."""
    limits = ArchiveLimits(settings.max_unpacked_bytes, settings.max_compression_ratio)
    out: list[Upload] = []
    for index, upload in enumerate(uploads):
        if is_gzip(upload.path):
            upload = _gunzip(upload, index, limits)
        if archives.is_zip(upload.path):
            try:
                archives.check_archive(upload.path, limits)
            except archives.ArchiveRefused as exc:
                too_large = exc.code in ("unpacked_size", "compression_ratio")
                detail = f"file {index + 1}: {exc.message}"
                if too_large:
                    raise _too_large(detail, exc.code) from None
                raise invalid("files", detail, exc.code) from None
            if kind in ONE_FILE_KINDS and unzip.is_archive(upload.path):
                upload = _single_member(upload, index, limits)
        out.append(upload)
    return out
