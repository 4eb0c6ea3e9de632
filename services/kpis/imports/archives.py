"""Bounds on zip archives (xlsx workbooks are zips) checked before anything parses them.

A workbook's sheets are deflated XML: a 1.25 MB upload of highly compressible cells
unpacked to over a gigabyte in the reader (1.4 GB of memory; 2.5 MB cost 2.9 GB and
failed the import). :func:`check_archive` refuses an archive whose parts, all together,
unpack to more than ``max_unpacked_bytes``, or whose part over :data:`RATIO_FLOOR_BYTES`
unpacks to more than ``max_ratio`` times its packed size. The central directory's sizes
are read first (cheap); then each part is inflated as a stream, a block at a time, so
headers that understate a part's size are caught too, with memory bounded by one block.
An archive that is not a readable zip is left to the reader, which reports it.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

ZIP_MAGIC = b"PK\x03\x04"
#: parts smaller than this are never judged by their ratio (a tiny styles part may be 200:1)
RATIO_FLOOR_BYTES = 1 << 20
BLOCK = 1 << 20
_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")


@dataclass(frozen=True)
class ArchiveLimits:
    max_unpacked_bytes: int = 200_000_000
    max_ratio: float = 100.0


class ArchiveRefused(Exception):
    """The archive passes a bound; ``code`` names which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def is_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == ZIP_MAGIC


def check_archive(path: Path, limits: ArchiveLimits) -> None:
    """Raise :class:`ArchiveRefused` when the zip at ``path`` passes a bound."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable zip: the reader says so in the import's report
    declared = sum(m.file_size for m in members)
    if declared > limits.max_unpacked_bytes:
        raise _too_large(limits)
    for member in members:
        if member.file_size >= RATIO_FLOOR_BYTES and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise ArchiveRefused(
                "compression_ratio",
                f"a part of the file unpacks to more than {limits.max_ratio:g} times its size",
            )
    with path.open("rb") as handle:
        total = 0
        for member in members:
            total += _unpacked_size(handle, member, limits.max_unpacked_bytes - total)
            if total > limits.max_unpacked_bytes:
                raise _too_large(limits)


def _too_large(limits: ArchiveLimits) -> ArchiveRefused:
    return ArchiveRefused(
        "unpacked_size", f"the file unpacks to more than {limits.max_unpacked_bytes:,} bytes"
    )


def _lying(what: str) -> ArchiveRefused:
    return ArchiveRefused("inconsistent_sizes", f"a part of the file {what} than its header says")


def _unpacked_size(raw: BinaryIO, member: zipfile.ZipInfo, room: int) -> int:
    """What ``member`` really unpacks to (stopping once past its declared size or past
    ``room``), read from its raw data a block at a time."""
    raw.seek(member.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or header[:4] != ZIP_MAGIC:
        raise _lying("is placed elsewhere")
    fields = _LOCAL_HEADER.unpack(header)
    raw.seek(member.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10])
    if member.compress_type == zipfile.ZIP_STORED:
        if member.compress_size != member.file_size:
            raise _lying("is larger")
        return member.file_size
    if member.compress_type != zipfile.ZIP_DEFLATED:
        raise ArchiveRefused("compression_method", "a part of the file uses an unknown packing")
    cap = min(member.file_size, room) + 1  # one byte more than allowed shows an overflow
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    left, produced = member.compress_size, 0
    try:
        while left > 0 and not inflater.eof:
            chunk = raw.read(min(BLOCK, left))
            if not chunk:
                break
            left -= len(chunk)
            data = inflater.decompress(chunk, BLOCK)
            produced += len(data)
            while inflater.unconsumed_tail and produced < cap:
                data = inflater.decompress(inflater.unconsumed_tail, BLOCK)
                produced += len(data)
            if produced >= cap:
                break
    except zlib.error:
        return min(member.file_size, room)  # damaged: the reader reports it
    if produced > member.file_size:
        raise _lying("unpacks larger")
    if produced < cap and not inflater.eof:
        raise _lying("runs on further")
    return produced
