"""Re-referrals from the import's own history, flagged while the referrals are loaded.

A referral is a re-referral when the export says so (referrals in the last 12 months > 0)
or when the same child has another referral in this import dated strictly earlier and no
more than 12 calendar months before it (``date - 12 months``, as PostgreSQL counts them:
29 February less 12 months is 28 February). Two referrals of a child on the same day do
not make each other re-referrals.

The flag is stored with the row (``cm_referral.rereferral``), so the indicator query reads
it instead of sorting every referral by child (the window that cost ~1 s per million
referrals). Each block is flagged against the referrals seen so far: exact for an export
in date order, as exports come. Referrals that arrive after a later one of the same child
(an export out of date order) are found at the end of the list by one pass over the
history, and those rows only are corrected with one ``UPDATE``.

The history holds, per referral, the pseudonym as two 64-bit integers (the 128 bits of the
stored pseudonym, no collision beyond the pseudonym's own), the date and the flag written:
21 bytes a referral, for the import only.
"""

from __future__ import annotations

from datetime import date

import polars as pl

WINDOW = "-12mo"
_HISTORY = {"hi": pl.UInt64, "lo": pl.UInt64, "date": pl.Date, "written": pl.Boolean}


def _keys(children: pl.Expr) -> list[pl.Expr]:
    return [
        children.str.slice(0, 16).str.to_integer(base=16, dtype=pl.UInt64).alias("hi"),
        children.str.slice(16, 16).str.to_integer(base=16, dtype=pl.UInt64).alias("lo"),
    ]


class ReferralHistory:
    """The referrals of one list seen so far; flags each block as it is loaded."""

    def __init__(self) -> None:
        self._history = pl.DataFrame(schema=_HISTORY)

    def flag(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (``child``, ``referral_date``, optionally ``previous_12m``) with its
        ``rereferral`` flag: the export's own or an earlier referral seen so far."""
        if "previous_12m" in frame.columns:
            stated = frame.get_column("previous_12m").fill_null(0) > 0
        else:
            stated = pl.Series([False] * frame.height, dtype=pl.Boolean)
        block = frame.select(
            pl.int_range(0, pl.len(), dtype=pl.UInt32).alias("idx"),
            *_keys(pl.col("child")),
            pl.col("referral_date").alias("date"),
        )
        earlier = pl.concat(
            [self._history.select("hi", "lo", "date"), block.select("hi", "lo", "date")]
        )
        # joined on the first 64 bits, the other 64 compared after: one key hashes faster
        found = (
            block.join(earlier, on="hi", suffix="_other")
            .filter(
                (pl.col("lo_other") == pl.col("lo"))
                & (pl.col("date_other") < pl.col("date"))
                & (pl.col("date_other") >= pl.col("date").dt.offset_by(WINDOW))
            )
            .get_column("idx")
            .unique()
        )
        flags = stated | pl.Series("rereferral", [False] * frame.height, dtype=pl.Boolean).scatter(
            found, True
        )
        self._history = pl.concat(
            [self._history, block.select("hi", "lo", "date", flags.alias("written"))]
        )
        if self._history.n_chunks() > 32:
            self._history = self._history.rechunk()
        return frame.with_columns(flags.alias("rereferral"))

    def late(self) -> tuple[list[str], list[date]]:
        """Referrals written unflagged that the whole list shows are re-referrals (an
        earlier referral of the child came later in the file): pseudonyms and dates.
        Called once, when the list is loaded."""
        # the history is let go here (the list is loaded); only children with more than
        # one referral can have a late one, and only they are sorted
        history, self._history = self._history, pl.DataFrame(schema=_HISTORY)
        ordered = history.filter(pl.struct("hi", "lo").is_duplicated()).sort("hi", "lo", "date")
        del history
        same_child = (pl.col("hi") == pl.col("hi").shift(1)) & (
            pl.col("lo") == pl.col("lo").shift(1)
        )
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
        missed = ordered.filter(
            ~pl.col("written") & (earlier >= pl.col("date").dt.offset_by(WINDOW))
        ).unique(["hi", "lo", "date"])
        children = [f"{hi:016x}{lo:016x}" for hi, lo in missed.select("hi", "lo").iter_rows()]
        return children, missed.get_column("date").to_list()
