"""A JSON batch is judged row by row (issue 14 item 4): one bad row never hides the others."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.kpis.conftest import CCG_CLIENT
from tests.kpis.helpers import submit

HV = {"indicator": "HV_6_8_WEEK", "org_unit": "WIRRAL"}
BAD = "not-a-number-7f3a"
ROWS = [
    HV | {"period": "2017/18-Q1", "numerator": 163, "denominator": 200},
    HV | {"period": "2017/18-Q2", "numerator": BAD, "denominator": 200},
    HV | {"period": "2017/18-Q3", "numerator": 150, "denominator": 200},
]


async def _values(session: AsyncSession) -> int:
    count = await session.scalar(text("SELECT count(*) FROM kpis.indicator_value"))
    return int(count or 0)


async def test_dry_run_names_the_bad_row_and_judges_the_others(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # all-or-nothing: the dry run says the batch would be rejected (422), with every row
    # judged; partial: it would be recorded without row 2 (200)
    for mode, status, outcome in (("all_or_nothing", 422, "rejected"), ("partial", 200, "checked")):
        r = await submit(client, CCG_CLIENT, ROWS, dry_run=True, mode=mode)
        assert r.status_code == status, r.text
        body = r.json()
        assert (body["outcome" if status == 422 else "status"], body["accepted"]) == (outcome, 2)
        assert body["rejected"] == 1
        statuses = [(row["row"], row["status"]) for row in body["rows"]]
        assert statuses == [(1, "accepted"), (2, "rejected"), (3, "accepted")]
        [reason] = body["rows"][1]["reasons"]
        assert reason.startswith("numerator:")
        assert BAD not in r.text
    assert await _values(session) == 0


async def test_a_bad_row_rejects_an_all_or_nothing_batch_with_its_row_report(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    r = await submit(client, CCG_CLIENT, ROWS)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [row["status"] for row in r.json()["rows"]] == ["accepted", "rejected", "accepted"]
    assert BAD not in r.text
    assert await _values(session) == 0


async def test_a_partial_batch_keeps_the_good_rows(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    r = await submit(client, CCG_CLIENT, [*ROWS, "not an object"], mode="partial")
    assert r.status_code == 201, r.text
    assert [row["status"] for row in r.json()["rows"]] == [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert r.json()["rows"][3]["reasons"] == ["row: not an object"]
    assert await _values(session) == 2
