"""Per-row working state of an import kept on disk, split by hash, so memory stays flat.

Finding duplicate rows and re-referrals needs every row's key seen so far: 8 to 16 bytes a
row, which in memory grows with the file. Instead each block's keys are appended to one of
``parts`` Arrow IPC files (chosen by the key), and the check runs at the end one part at a
time: a part holds the rows of about :data:`PART_SOURCE_BYTES` of the source file, however
large the file. Rows with the same key are always in the same part.

The files live in the job's own folder beside the raw upload (same permissions) and are
deleted with it; they hold hashes, dates and row numbers, never an identifier.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
from pyarrow import ipc

#: source bytes per part: a part in memory is then ~1-2 MB of keys (16 bytes a row)
PART_SOURCE_BYTES = 8 << 20
MAX_PARTS = 256


def parts_for(source_bytes: int) -> int:
    return max(1, min(MAX_PARTS, math.ceil(source_bytes / PART_SOURCE_BYTES)))


class Spill:
    """Frames appended by blocks, read back one hash part at a time."""

    def __init__(self, directory: Path, name: str, parts: int, key: str) -> None:
        self.key = key
        self.parts = parts
        self._paths = [directory / f"{name}.{n}.arrow" for n in range(parts)]
        self._writers: list[ipc.RecordBatchStreamWriter | None] = [None] * parts
        self._sinks: list[pa.NativeFile | None] = [None] * parts

    def add(self, frame: pl.DataFrame) -> None:
        """Append a block's rows (``key`` must be an unsigned 64-bit column). Only numbers
        and dates are taken: no text, so no identifier can reach the disk this way."""
        text = [
            name
            for name, dtype in frame.schema.items()
            if not dtype.is_temporal() and not dtype.is_numeric()
        ]
        if text:
            raise TypeError(f"a spill holds numbers and dates only, not {text}")
        if not frame.height:
            return
        if self.parts == 1:
            self._write(0, frame)
            return
        split = frame.with_columns((pl.col(self.key) % self.parts).alias("_part"))
        for (part,), piece in split.partition_by("_part", as_dict=True).items():
            self._write(int(part), piece.drop("_part"))

    def _write(self, part: int, frame: pl.DataFrame) -> None:
        table = frame.to_arrow()
        writer = self._writers[part]
        if writer is None:
            sink = pa.OSFile(str(self._paths[part]), "wb")
            writer = ipc.new_stream(sink, table.schema)
            self._sinks[part], self._writers[part] = sink, writer
        writer.write_table(table)

    def parts_read(self) -> Iterator[pl.DataFrame]:
        """Each part that got rows, as one frame; its file is deleted once read."""
        self._close_writers()
        for path in self._paths:
            if not path.exists():
                continue
            # read into memory, not mapped: the frame must outlive the file
            with pa.OSFile(str(path), "rb") as source:
                frame = pl.from_arrow(ipc.open_stream(source).read_all())
            path.unlink()
            assert isinstance(frame, pl.DataFrame)
            yield frame

    def _close_writers(self) -> None:
        for n, writer in enumerate(self._writers):
            if writer is not None:
                writer.close()
            sink = self._sinks[n]
            if sink is not None:
                sink.close()
        self._writers = [None] * self.parts
        self._sinks = [None] * self.parts

    def close(self) -> None:
        """Let go of everything written (also when the import failed midway)."""
        self._close_writers()
        for path in self._paths:
            path.unlink(missing_ok=True)
