"""The on-disk spill of per-row state and the readers' column projection (no database)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from services.kpis.imports.readers import read_any
from services.kpis.imports.spill import MAX_PARTS, PART_SOURCE_BYTES, Spill, parts_for
from tests.kpis.imports.helpers import xlsx_bytes


def test_parts_follow_the_source_size() -> None:
    assert parts_for(0) == 1
    assert parts_for(PART_SOURCE_BYTES) == 1
    assert parts_for(PART_SOURCE_BYTES + 1) == 2
    assert parts_for(10**15) == MAX_PARTS


def test_spill_gives_every_row_back_once_with_equal_keys_together(tmp_path: Path) -> None:
    spill = Spill(tmp_path, "t", 4, key="key")
    blocks = [
        pl.DataFrame(
            {
                "key": pl.Series([k * 7919 % 1000 for k in range(s, s + 50)], dtype=pl.UInt64),
                "_row": pl.Series(range(s, s + 50), dtype=pl.UInt32),
            }
        )
        for s in range(0, 500, 50)
    ]
    for block in blocks:
        spill.add(block)
    parts = list(spill.parts_read())
    assert 1 < len(parts) <= 4
    assert not list(tmp_path.iterdir())  # each part's file is deleted once read
    together = pl.concat(parts).sort("_row")
    assert together.equals(pl.concat(blocks).sort("_row"))
    keys = [set(part["key"].to_list()) for part in parts]
    assert all(a.isdisjoint(b) for i, a in enumerate(keys) for b in keys[i + 1 :])


def test_spill_close_removes_files_of_an_abandoned_import(tmp_path: Path) -> None:
    spill = Spill(tmp_path, "t", 3, key="key")
    spill.add(pl.DataFrame({"key": pl.Series([1, 2, 3], dtype=pl.UInt64)}))
    assert list(tmp_path.iterdir())
    spill.close()
    assert not list(tmp_path.iterdir())


def test_spill_refuses_text(tmp_path: Path) -> None:
    """Only hashes, dates and row numbers go to disk: an identifier cannot."""
    spill = Spill(tmp_path, "t", 2, key="key")
    with pytest.raises(TypeError, match="child"):
        spill.add(pl.DataFrame({"key": pl.Series([1], dtype=pl.UInt64), "child": ["123"]}))
    assert not list(tmp_path.iterdir())


def test_projection_reads_the_same_cells(tmp_path: Path) -> None:
    rows = [["id", "name", "date"], ["1", "a", "01/02/2020"], ["", "", ""], ["3", "c", "x"]]
    csv = tmp_path / "t.csv"
    csv.write_text("\n".join(",".join(r) for r in rows) + "\n")
    book = tmp_path / "t.xlsx"
    book.write_bytes(xlsx_bytes({"S": rows}))
    for path in (csv, book):
        (sheet,) = read_any(path, path.name, chunk_rows=2, chunk_bytes=4096)
        full = pl.concat(list(sheet.chunks())).select("c0", "c2", "_row")
        projected = pl.concat(list(sheet.chunks([2, 0])))
        assert projected.columns == ["c0", "c2", "_row"]
        # a blank line is no row in a CSV; a blank row of a workbook is skipped
        assert projected.filter(pl.col("c0").is_not_null()).equals(
            full.filter(pl.col("c0").is_not_null())
        ), path.suffix
        assert sheet.size > 0
