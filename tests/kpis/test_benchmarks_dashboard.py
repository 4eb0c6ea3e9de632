"""Item 8 of issue 16: benchmarks added and versioned by performance staff (a new version
never overwrites the old; reads say which version), and the dashboard's SPC signals and
benchmarks. Figures are worked out here, independently of services/kpis/series/analysis."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.periods import Period
from services.kpis.values.intake import record_computed_values
from tests.kpis.conftest import (
    CCG_APPROVER,
    COUNCIL_ANALYST,
    COUNCIL_APPROVER,
    COUNCIL_MANAGER,
    POLICE_CLIENT,
    as_,
)
from tests.kpis.helpers import publish


def _bench(
    code: str, comparator: str, period: str, value: str, source: str = "DfE"
) -> dict[str, Any]:
    return {
        "indicator_code": code,
        "comparator": comparator,
        "period_label": period,
        "value": value,
        "source": source,
    }


async def _count(session: AsyncSession, sql: str) -> int:
    return int((await session.execute(text(sql))).scalar_one())


async def test_a_new_benchmark_version_never_overwrites_the_old(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    # the seed holds CIC_RATE england 2015/16 = 60 as version 1
    r = await client.post(
        "/v1/benchmarks",
        json=_bench("CIC_RATE", "england", "2015/16", "58.5", "DfE SFR 2016, revised"),
        headers=as_(COUNCIL_MANAGER),
    )
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["version"], made["value"], made["period_label"]) == (2, "58.5000", "2015/16")

    latest = await client.get(
        "/v1/benchmarks",
        params={"indicator": "CIC_RATE", "comparator": "england"},
        headers=as_(POLICE_CLIENT),
    )
    assert [(b["period_label"], b["value"], b["version"]) for b in latest.json()["items"]] == [
        ("2015/16", "58.5000", 2)
    ]
    every = await client.get(
        "/v1/benchmarks",
        params={"indicator": "CIC_RATE", "comparator": "england", "all_versions": "true"},
        headers=as_(POLICE_CLIENT),
    )
    assert [(b["value"], b["version"], b["source"]) for b in every.json()["items"]] == [
        ("60.0000", 1, "DfE SSDA903 2015-16, via Wirral plan 2017–2019"),
        ("58.5000", 2, "DfE SFR 2016, revised"),
    ]
    # any indicator, any of the three comparators; a first figure is version 1
    for comparator in ("statistical_neighbours", "region"):
        r = await client.post(
            "/v1/benchmarks",
            json=_bench("CONTACTS", comparator, "2017/18-Q1", "12"),
            headers=as_(COUNCIL_MANAGER),
        )
        assert (r.status_code, r.json()["version"]) == (201, 1), r.text
    # the series reads the latest version and says which
    series = await client.get(
        "/v1/series", params={"indicator": "CIC_RATE"}, headers=as_(POLICE_CLIENT)
    )
    england = [b for b in series.json()["benchmarks"] if b["comparator"] == "england"]
    assert [(b["value"], b["version"]) for b in england] == [("58.5000", 2)]
    events = await _count(
        session, "SELECT count(*) FROM kpis.outbox WHERE event_type = 'benchmark.added'"
    )
    assert events == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_bench("NO_SUCH_CODE", "england", "2017/18", "1"), "indicator_code"),
        (_bench("CIC_RATE", "england", "someday", "1"), "period_label"),
        (_bench("CIC_RATE", "wirral_baseline", "2017/18", "1"), "comparator"),
        (_bench("CIC_RATE", "england", "2017/18", "-1"), "value"),
    ],
)
async def test_bad_benchmarks_are_refused_naming_the_field(
    client: httpx.AsyncClient, session: AsyncSession, body: dict[str, Any], field: str
) -> None:
    before = await _count(session, "SELECT count(*) FROM kpis.benchmark")
    r = await client.post("/v1/benchmarks", json=body, headers=as_(COUNCIL_MANAGER))
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert await _count(session, "SELECT count(*) FROM kpis.benchmark") == before
    assert (
        await _count(
            session, "SELECT count(*) FROM kpis.outbox WHERE event_type = 'benchmark.added'"
        )
        == 0
    )


async def test_only_council_performance_staff_add_benchmarks(client: httpx.AsyncClient) -> None:
    body = _bench("CIC_RATE", "england", "2017/18", "61")
    for who in (COUNCIL_APPROVER, CCG_APPROVER, COUNCIL_ANALYST):
        r = await client.post("/v1/benchmarks", json=body, headers=as_(who))
        assert r.status_code == 403, (who, r.text)


# -- the dashboard: SPC signals and benchmarks --------------------------------------------

NUMERATORS = (10, 11, 10, 11, 10, 11, 10, 11, 40)  # of 100: Apr..Dec 2017, a jump at the end
MONTHS = tuple(range(4, 13))


def _expected_spc(values: list[Fraction]) -> dict[str, Any]:
    """XmR by hand: centre = mean, sigma = mean moving range / 1.128; beyond 3 sigma,
    a run of 7+ on one side of the mean, a trend of 7+ rising or falling points."""
    n = len(values)
    mean = sum(values, Fraction(0)) / n
    mr = [abs(values[i] - values[i - 1]) for i in range(1, n)]
    sigma = (sum(mr, Fraction(0)) / len(mr)) / Fraction("1.128")
    upper, lower = mean + 3 * sigma, mean - 3 * sigma
    flags: list[set[str]] = [set() for _ in values]
    for i, v in enumerate(values):
        if v > upper or v < lower:
            flags[i].add("beyond_limits")
    side = [(v > mean) - (v < mean) for v in values]
    for start in range(n):
        end = start
        while end + 1 < n and side[end + 1] == side[start]:
            end += 1
        if side[start] != 0 and end - start + 1 >= 7:
            for k in range(start, end + 1):
                flags[k].add("run")
    return {"mean": mean, "upper": upper, "lower": lower, "flags": flags}


async def test_dashboard_shows_spc_signals_and_versioned_benchmarks(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    values = [
        ComputedValue(
            "STEP_DOWNS",
            "month",
            Period.month(2017, m).start,
            Period.month(2017, m).end,
            "WIRRAL",
            numerator=n,
            denominator=100,
        )
        for m, n in zip(MONTHS, NUMERATORS, strict=True)
    ]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    for m in MONTHS:
        await publish(client, COUNCIL_ANALYST, COUNCIL_APPROVER, "STEP_DOWNS", f"2017-{m:02d}")
    for body in (
        _bench("STEP_DOWNS", "england", "2017/18", "30", "first release"),
        _bench("STEP_DOWNS", "england", "2017/18", "31", "revised release"),
        _bench("STEP_DOWNS", "statistical_neighbours", "2017-12", "25"),
        _bench("STEP_DOWNS", "region", "2017-11", "99"),  # another month: not shown
    ):
        r = await client.post("/v1/benchmarks", json=body, headers=as_(COUNCIL_MANAGER))
        assert r.status_code == 201, r.text

    r = await client.get("/v1/dashboard", params={"theme": 5}, headers=as_(POLICE_CLIENT))
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["indicator"] == "STEP_DOWNS"]
    assert (item["period"], item["value"], item["polarity"], item["trend"]) == (
        "2017-12",
        "40.0000",
        "higher",
        "improving",  # 11 -> 40, higher is better
    )

    want = _expected_spc([Fraction(n) for n in NUMERATORS])  # n of 100 = n per cent
    spc = item["spc"]
    assert spc["points"] == 9
    assert spc["mean"] == pytest.approx(float(want["mean"]))
    assert spc["upper_limit"] == pytest.approx(float(want["upper"]))
    assert spc["lower_limit"] == pytest.approx(float(want["lower"]))
    assert sorted(spc["latest_signals"]) == sorted(want["flags"][-1]) == ["beyond_limits"]
    assert spc["signal_periods"] == [
        f"2017-{m:02d}" for m, f in zip(MONTHS, want["flags"], strict=True) if f
    ]
    assert len(spc["signal_periods"]) == 9  # eight in a run below the mean, then the jump

    assert [
        (b["comparator"], b["period"], b["value"], b["version"]) for b in item["benchmarks"]
    ] == [
        ("england", "2017/18", "31.0000", 2),
        ("statistical_neighbours", "2017-12", "25.0000", 1),
    ]
    assert Decimal(item["target"]) == 22
