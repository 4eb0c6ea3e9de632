"""Re-referrals from the import's own history, worked out before the referrals are loaded.

A referral is a re-referral when the export says so (referrals in the last 12 months > 0)
or when the same child has another referral in this list dated strictly earlier and no
more than 12 calendar months before it (``date - 12 months``, as PostgreSQL counts them:
29 February less 12 months is 28 February). Two referrals of a child on the same day do
not make each other re-referrals. A row rejected for another column still counts as an
earlier referral of its child (the export records that referral).

The flag is stored with the row (``cm_referral.rereferral``), so the indicator query reads
it instead of sorting every referral by child (~1 s per million referrals). It is worked
out by a first pass over the list that reads only the child and date columns: each row's
key (a hash of the child with a seed drawn for this import), date and row number go to
disk split by key (:mod:`spill`), then each part is sorted and flagged on its own. What is
kept is one bit per row of the file, so the flags are exact in any row order and memory
stays flat in the file's size. Two children whose 64-bit keys collide (odds about one in
10^7 for a million children) would count as one.
"""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import polars as pl

from services.kpis.imports.normalise import child_and_date
from services.kpis.imports.readers import Sheet
from services.kpis.imports.spill import Spill, parts_for

WINDOW = "-12mo"


def flagged_rows(
    sheet: Sheet, columns: dict[str, str], spill_dir: Path, name: str = "referrals"
) -> pl.Series:
    """One flag per row number of ``sheet`` (index: the row a person sees): true for a
    referral with an earlier referral of the same child at most 12 months before it.
    ``name`` names its working files in ``spill_dir``."""
    child, day = columns["child"], columns["referral_date"]
    seed = secrets.randbits(63)
    spill = Spill(spill_dir, name, parts_for(sheet.size), key="key")
    last = 0
    try:
        for chunk in sheet.chunks([int(child[1:]), int(day[1:])]):
            if not chunk.height:
                continue
            last = max(last, int(chunk.get_column("_row").max()))  # type: ignore[arg-type]
            read = child_and_date(chunk, child, day)
            spill.add(read.select(pl.col("child").hash(seed).alias("key"), "date", "_row"))
        flags = pl.repeat(False, last + 1, dtype=pl.Boolean, eager=True)
        for part in spill.parts_read():
            rows = _with_earlier(part)
            if rows.len():
                flags = flags.scatter(rows, True)
        return flags
    finally:
        spill.close()


def _with_earlier(part: pl.DataFrame) -> pl.Series:
    """Rows of ``part`` (``key``, ``date``, ``_row``) with an earlier referral of the same
    child within the window."""
    # only children with more than one referral can have one, and only they are sorted
    ordered = part.filter(pl.col("key").is_duplicated()).sort("key", "date")
    same_child = pl.col("key") == pl.col("key").shift(1)
    previous = pl.col("date").shift(1)
    # the latest strictly earlier date of the same child: a child's first referral
    # starts from a date too old to count, ties (same day) look past each other
    earlier = (
        pl.when(~same_child.fill_null(False))
        .then(pl.lit(date.min))
        .when(pl.col("date") != previous)
        .then(previous)
        .forward_fill()
    )
    return ordered.filter(earlier >= pl.col("date").dt.offset_by(WINDOW)).get_column("_row")


def with_flags(frame: pl.DataFrame, flags: pl.Series) -> pl.DataFrame:
    """``frame`` (normalised referrals with ``_row``) with its ``rereferral`` column: the
    export's own count or the import's history."""
    own = flags.gather(frame.get_column("_row"))
    if "previous_12m" in frame.columns:
        own = own | (frame.get_column("previous_12m").fill_null(0) > 0)
    return frame.with_columns(own.alias("rereferral"))
