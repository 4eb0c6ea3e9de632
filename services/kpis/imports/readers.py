"""Reading exports as they come: xlsx workbooks (python-calamine) and CSVs (polars).

Each sheet or CSV becomes a :class:`Sheet`: its name, its header texts and an iterator of
chunks, every chunk a polars frame of text columns (``c0``, ``c1``…) plus ``_row`` (the
row number a person sees in Excel or a text editor: the header is row 1). Memory stays
flat: CSVs are parsed by polars in blocks cut at record boundaries, workbooks row by row.
``chunks(columns=[i, j])`` reads only those columns (``c<i>``, ``c<j>`` and ``_row``): a
first pass over a list that needs two of its columns parses nothing else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from python_calamine import CalamineError, CalamineWorkbook

XLSX_MAGIC = b"PK\x03\x04"


class UnreadableFile(Exception):
    """The file is neither a workbook nor a CSV."""


#: what a sheet of a workbook is taken to weigh per byte of the (zip-compressed) file
XLSX_EXPANSION = 8

Chunks = Callable[..., Iterator[pl.DataFrame]]


@dataclass
class Sheet:
    name: str
    headers: list[str]
    chunks: Chunks  # chunks(columns: Sequence[int] | None = None)
    size: int = 0  # bytes of source text, about (sizes the spill of per-row state)


def sniff(path: Path) -> str:
    """``xlsx`` or ``csv``; raises :class:`UnreadableFile` for anything else."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if head.startswith(XLSX_MAGIC):
        return "xlsx"
    if not head.strip():
        raise UnreadableFile("the file is empty")
    if b"\x00" in head:
        raise UnreadableFile("not a spreadsheet or CSV file (binary content)")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a cut multi-byte character at the end of the sample is fine
        if exc.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                raise UnreadableFile("not a spreadsheet or CSV file (not text)") from exc
    first_line = head.splitlines()[0] if head.splitlines() else b""
    if b"," not in first_line and b"\t" not in first_line:
        raise UnreadableFile("not a CSV file: the first line has no comma-separated headers")
    return "csv"


def _cell_text(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    if kind is dt.date:
        return value.isoformat()
    if kind is dt.datetime:
        return value.date().isoformat()
    if value is None:
        return None
    if kind is bool:
        return "Yes" if value else "No"
    if kind is int:
        return str(value)
    if isinstance(value, dt.timedelta | dt.time):
        return None
    return str(value)


def read_csv(path: Path, name: str, chunk_bytes: int) -> Sheet:
    """A CSV read in blocks of about ``chunk_bytes``, each cut at a record boundary (a
    newline outside quotes), so memory stays flat in the file's size."""
    with path.open("rb") as handle:
        header_line = handle.readline()
    try:
        text = header_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = header_line.decode("cp1252", errors="replace")
    headers = next(csv.reader([text]), [])
    if not headers:
        raise UnreadableFile("not a readable CSV file (no header line)")
    width = len(headers)

    def parse(block: bytes, first_row: int, wanted: Sequence[int] | None) -> pl.DataFrame:
        picked = list(range(width)) if wanted is None else sorted(set(wanted))
        names = [f"c{i}" for i in picked]
        try:
            frame = pl.read_csv(
                io.BytesIO(block),
                has_header=False,
                columns=None if wanted is None else picked,
                infer_schema=False,
                encoding="utf8-lossy",
                truncate_ragged_lines=True,
            )
        except pl.exceptions.PolarsError as exc:
            raise UnreadableFile(f"not a readable CSV file ({type(exc).__name__})") from exc
        if wanted is None:
            # ragged lines: extra fields dropped, missing ones empty
            frame = frame.select(frame.columns[:width])
            for i in range(frame.width, width):
                frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(f"absent_{i}"))
        frame.columns = names
        return frame.with_columns(
            pl.int_range(first_row, first_row + frame.height, dtype=pl.UInt32).alias("_row")
        )

    def chunks(columns: Sequence[int] | None = None) -> Iterator[pl.DataFrame]:
        row = 2
        carry = b""
        with path.open("rb") as handle:
            handle.readline()
            while True:
                block = handle.read(chunk_bytes)
                data = carry + block
                if not block:
                    if data.strip():
                        frame = parse(data, row, columns)
                        yield frame
                    return
                cut = data.rfind(b"\n")
                while cut >= 0 and data.count(b'"', 0, cut + 1) % 2:
                    cut = data.rfind(b"\n", 0, cut)  # inside quotes: step back a line
                if cut < 0:
                    carry = data
                    continue
                carry = data[cut + 1 :]
                frame = parse(data[: cut + 1], row, columns)
                row += frame.height
                yield frame

    return Sheet(name=name, headers=headers, chunks=chunks, size=path.stat().st_size)


def read_workbook(path: Path, chunk_rows: int) -> list[Sheet]:
    """Each sheet of a workbook (calamine holds one sheet's cells compactly in Rust)."""
    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise UnreadableFile("not a readable xlsx workbook") from exc
    sheets = []
    for name in book.sheet_names:
        try:
            data = book.get_sheet_by_name(name)
        except (CalamineError, ValueError) as exc:
            raise UnreadableFile(f"sheet {name!r} cannot be read") from exc
        first = next(iter(data.iter_rows()), None)
        headers = [_cell_text(v) or "" for v in first] if first else []
        size = path.stat().st_size * XLSX_EXPANSION // max(1, len(book.sheet_names))
        sheets.append(
            Sheet(name=name, headers=headers, chunks=_sheet_chunks(data, chunk_rows), size=size)
        )
    return sheets


def _sheet_chunks(data: Any, chunk_rows: int) -> Chunks:
    def chunks(wanted: Sequence[int] | None = None) -> Iterator[pl.DataFrame]:
        rows = iter(data.iter_rows())
        first = next(rows, None)
        if first is None:
            return
        picked = list(range(len(first))) if wanted is None else sorted(set(wanted))
        yield from _cells(rows, picked, chunk_rows)

    return chunks


def _cells(rows: Iterator[Any], picked: list[int], chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The ``picked`` cells of each row as text, in frames of ``chunk_rows`` (a row with
    none of them filled is skipped; its number is not reused)."""
    columns = [f"c{i}" for i in picked]
    buffer: list[list[str | None]] = []
    numbers: list[int] = []
    number = 1
    cell = _cell_text
    for raw in rows:
        number += 1
        size = len(raw)
        cells = [cell(raw[i]) if i < size else None for i in picked]
        if not any(cells):
            continue
        buffer.append(cells)
        numbers.append(number)
        if len(buffer) >= chunk_rows:
            yield _frame(columns, buffer, numbers)
            buffer, numbers = [], []
    if buffer:
        yield _frame(columns, buffer, numbers)


def _frame(columns: list[str], rows: list[list[str | None]], numbers: list[int]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")
    return frame.with_columns(pl.Series("_row", numbers, dtype=pl.UInt32))


def read_any(path: Path, name: str, chunk_rows: int, chunk_bytes: int) -> list[Sheet]:
    kind = sniff(path)
    if kind == "xlsx":
        return read_workbook(path, chunk_rows)
    return [read_csv(path, name, chunk_bytes)]
