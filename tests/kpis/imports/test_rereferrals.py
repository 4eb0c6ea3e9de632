"""Re-referrals from the import's own history (12-month window) and from the export's flag."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpis.imports import normalise, pipeline
from services.kpis.imports.readers import Sheet
from services.kpis.imports.rereferrals import flagged_rows, with_flags
from services.kpis.imports.spill import PART_SOURCE_BYTES
from tests.kpis.imports.conftest import ImportsApi, _app
from tests.kpis.imports.helpers import csv_bytes, referral_rows
from tests.support.apps import client_for


async def test_rereferrals_within_twelve_months(client: ImportsApi) -> None:
    rows = referral_rows(
        {"Child Unique ID": "A", "Date of Referral": "01/10/2020"},
        {"Child Unique ID": "A", "Date of Referral": "01/03/2021"},  # 5 months: re-referral
        {"Child Unique ID": "B", "Date of Referral": "01/09/2019"},
        {"Child Unique ID": "B", "Date of Referral": "02/09/2020"},  # 12 months + 1 day: not
        {"Child Unique ID": "D", "Date of Referral": "05/03/2020"},
        {"Child Unique ID": "D", "Date of Referral": "05/03/2021"},  # exactly 12 months: is
        {"Child Unique ID": "E", "Date of Referral": "10/03/2021"},  # first, but the export
        count=7,
    )
    rows[6]["Number of Referrals in Last 12 Months"] = "1"  # says there was one before
    response = await client.upload("annex_a", [("r.csv", csv_bytes(rows))])
    job_id = response.json()["id"]
    assert (await client.job(job_id))["status"] == "succeeded"
    values = {
        (v["indicator_code"], v["period_type"], v["period_end"]): v
        for v in await client.values(job_id)
        if v["org_unit_code"] == "LA"
    }
    march = values[("RE_REFERRALS", "month", "2021-03-31")]
    assert (march["numerator"], march["denominator"]) == (3, 3)
    september = values[("RE_REFERRALS", "month", "2020-09-30")]
    assert (september["numerator"], september["denominator"]) == (0, 1)
    october = values[("RE_REFERRALS", "month", "2020-10-31")]
    assert (october["numerator"], october["denominator"]) == (0, 1)
    year_to_date = values[("RE_REFERRALS", "ytd", "2021-03-31")]
    assert (year_to_date["numerator"], year_to_date["denominator"]) == (3, 5)


@pytest.fixture
async def small_blocks(
    kpis_connection: AsyncConnection, tmp_path: Path, recorded: list[dict[str, Any]]
) -> AsyncIterator[ImportsApi]:
    """The imports API reading CSVs in 4 KB blocks (about 60 referrals a block)."""
    app, settings = _app(kpis_connection, tmp_path, read_chunk_bytes=4096)
    async with client_for(app) as http:
        yield ImportsApi(app, http, kpis_connection, settings)


def _children_history(reverse: bool) -> bytes:
    """300 referrals; A, B and D each have an earlier and a later referral, far apart in
    the file. In date order the earlier comes first; reversed, the later one is loaded
    (unflagged) blocks before the earlier one that makes it a re-referral."""
    pairs = [
        ("A", "01/10/2020", "01/03/2021"),  # 5 months: re-referral
        ("B", "01/09/2019", "02/09/2020"),  # 12 months + 1 day: not
        ("D", "05/03/2020", "05/03/2021"),  # exactly 12 months: is
    ]
    early = [{"Child Unique ID": c, "Date of Referral": first} for c, first, _ in pairs]
    late = [{"Child Unique ID": c, "Date of Referral": second} for c, _, second in pairs]
    filler = [
        {"Child Unique ID": f"F{n}", "Date of Referral": f"{1 + n % 28:02d}/11/2020"}
        for n in range(294)
    ]
    ordered = early + filler + late
    rows = referral_rows(*(list(reversed(ordered)) if reverse else ordered), count=300)
    return csv_bytes(rows)


async def test_rereferrals_do_not_depend_on_the_order_of_the_file(
    small_blocks: ImportsApi,
) -> None:
    """An export out of date order gives the same flags and indicators as one in order
    (the flags are worked out before the first block is loaded)."""
    outcomes = []
    for reverse in (False, True):
        body = _children_history(reverse)
        assert len(body) > 4 * 4096  # several blocks
        response = await small_blocks.upload("annex_a", [("r.csv", body)])
        job_id = response.json()["id"]
        assert (await small_blocks.job(job_id))["status"] == "succeeded"
        flagged = await small_blocks.scalar(
            "SELECT count(*) FROM kpis.cm_referral WHERE import_id = :id AND rereferral",
            id=uuid.UUID(job_id),
        )
        values = {
            (v["indicator_code"], v["period_type"], v["period_end"]): (
                v["numerator"],
                v["denominator"],
            )
            for v in await small_blocks.values(job_id)
            if v["org_unit_code"] == "LA" and v["indicator_code"] == "RE_REFERRALS"
        }
        outcomes.append((flagged, values))
    assert outcomes[0][0] == 2  # A's and D's later referrals
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][1][("RE_REFERRALS", "month", "2021-03-31")] == (2, 2)


async def test_blocks_go_on_while_the_first_pass_is_slow(
    small_blocks: ImportsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finished blocks wait for the re-referral flags (up to a bound) while later ones are
    normalised: here the first pass does not return before two blocks are finished, which
    would never happen if blocks waited for it, and the flags come out the same."""
    finished = 0
    real_finish = normalise.ChunkNormaliser.finish

    def counting_finish(self: normalise.ChunkNormaliser, prepared: Any) -> Any:
        nonlocal finished
        finished += 1
        return real_finish(self, prepared)

    def slow_first_pass(*args: Any) -> pl.Series:
        flags = flagged_rows(*args)
        deadline = time.monotonic() + 30
        while finished < 2:
            assert time.monotonic() < deadline, "no block was finished while the flags waited"
            time.sleep(0.01)
        return flags

    monkeypatch.setattr(normalise.ChunkNormaliser, "finish", counting_finish)
    monkeypatch.setattr(pipeline, "flagged_rows", slow_first_pass)
    response = await small_blocks.upload("annex_a", [("r.csv", _children_history(False))])
    job_id = response.json()["id"]
    assert (await small_blocks.job(job_id))["status"] == "succeeded"
    flagged = await small_blocks.scalar(
        "SELECT count(*) FROM kpis.cm_referral WHERE import_id = :id AND rereferral",
        id=uuid.UUID(job_id),
    )
    assert flagged == 2


def _sheet(rows: list[tuple[str, date, bool]], size: int, parts: int) -> Sheet:
    """The rows as a list read in blocks of ``size`` (child, referral date as dd/mm/yyyy
    with a stray space, the export's own count), spilled in ``parts`` parts."""

    def chunks(columns: list[int] | None = None) -> Any:
        for start in range(0, len(rows), size):
            block = rows[start : start + size]
            frame = pl.DataFrame(
                {
                    "c0": [f" {r[0]}" for r in block],
                    "c1": [r[1].strftime("%d/%m/%Y") for r in block],
                    "c2": ["1" if r[2] else "0" for r in block],
                    "_row": pl.Series(range(start + 2, start + 2 + len(block)), dtype=pl.UInt32),
                }
            )
            yield frame.select(*(f"c{i}" for i in columns), "_row") if columns else frame

    return Sheet("r.csv", ["child", "date", "count"], chunks, size=parts * PART_SOURCE_BYTES)


def test_flags_match_a_brute_force_count(tmp_path: Path) -> None:
    """Random children, dates, block sizes and spill parts, in and out of date order: the
    flags equal a pairwise check of every referral."""
    rng = random.Random(20261127)
    for trial in range(40):
        children = [f"{rng.getrandbits(40):x}" for _ in range(rng.randint(1, 30))]
        rows = [
            (
                rng.choice(children),
                date(2019, 1, 1) + timedelta(days=rng.randint(0, 900)),
                rng.random() < 0.1,
            )
            for _ in range(rng.randint(1, 250))
        ]
        if trial % 2 == 0:
            rows.sort(key=lambda r: r[1])
        sheet = _sheet(rows, rng.randint(1, 40), rng.randint(1, 5))
        flags = flagged_rows(sheet, {"child": "c0", "referral_date": "c1"}, tmp_path)
        assert not list(tmp_path.iterdir())  # the spill is gone
        frame = pl.DataFrame(
            {
                "_row": pl.Series(range(2, len(rows) + 2), dtype=pl.UInt32),
                "previous_12m": [1 if r[2] else 0 for r in rows],
            }
        )
        final = with_flags(frame, flags)["rereferral"].to_list()
        expected = [
            stated or any(c2 == c and _year_before(d) <= d2 < d for c2, d2, _ in rows)
            for c, d, stated in rows
        ]
        assert final == expected, trial


def _year_before(day: date) -> date:
    """12 calendar months earlier, the last day of the month when it has fewer days."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)
