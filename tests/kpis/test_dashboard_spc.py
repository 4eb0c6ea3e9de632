"""The dashboard's SPC summary for several indicators at once (issue 16 item 8: the dashboard
reads every indicator's series in one query). Each indicator's signals are worked out here
from the values the published series endpoint answers, with the XmR rules written out
below, independently of services/kpis/series/analysis."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.periods import Period
from services.kpis.values.intake import record_computed_values
from tests.kpis.conftest import COUNCIL_ANALYST, COUNCIL_APPROVER, POLICE_CLIENT, as_
from tests.kpis.helpers import publish


def _months(n: int) -> list[Period]:
    """``n`` months from April 2017."""
    return [Period.month(2017 + (m + 3) // 12, (m + 3) % 12 + 1) for m in range(n)]


# indicator -> (denominator or None for a count, figures oldest first, how many published)
SERIES: dict[str, tuple[int | None, list[int], int]] = {
    # a count with a rise over seven months in the middle (a trend), the latest plain
    "CONTACTS": (None, [50, 48, 51, 40, 42, 44, 46, 48, 50, 52, 45, 47], 12),
    # a percentage of 300 (figures like 20.3333) with one point far above the rest
    "ASSESS_45WD": (300, [180, 183, 181, 184, 290, 182, 180, 183, 181, 182], 10),
    # seven points above the mean at the end (a run), the latest inside it; the
    # thirteenth month is submitted but not published: neither read counts it
    "ICPC_15WD": (200, [20, 21, 20, 22, 20, 60, 61, 60, 62, 61, 60, 61, 5], 12),
    # a single published month: no limits, no signals
    "CL_EET": (100, [50, 70], 1),
}


def _xmr(values: list[Fraction]) -> dict[str, Any]:
    """Individuals chart by hand: centre = mean; sigma = mean moving range / 1.128; a point
    beyond mean ± 3 sigma; seven or more consecutive points on one side of the mean (a
    point on the mean breaks it); seven or more consecutive points each above (or each
    below) the one before."""
    n = len(values)
    flags: list[set[str]] = [set() for _ in values]
    if n < 2:
        return {"mean": None, "upper": None, "lower": None, "flags": flags}
    mean = sum(values, Fraction(0)) / n
    moving = [abs(values[i] - values[i - 1]) for i in range(1, n)]
    sigma = sum(moving, Fraction(0)) / len(moving) / Fraction("1.128")
    upper, lower = mean + 3 * sigma, mean - 3 * sigma
    for i, v in enumerate(values):
        if v > upper or v < lower:
            flags[i].add("beyond_limits")
    for start in range(n):
        for above in (True, False):
            end = start
            while end < n and values[end] != mean and (values[end] > mean) == above:
                end += 1
            if end - start >= 7:
                for k in range(start, end):
                    flags[k].add("run")
    for start in range(n):
        for rising in (True, False):
            end = start + 1
            while (
                end < n
                and values[end] != values[end - 1]
                and ((values[end] > values[end - 1]) == rising)
            ):
                end += 1
            if end - start >= 7:
                for k in range(start, end):
                    flags[k].add("trend")
    return {"mean": mean, "upper": upper, "lower": lower, "flags": flags}


async def test_dashboard_spc_agrees_with_the_published_series_for_every_indicator(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    values = []
    for code, (den, figures, _) in SERIES.items():
        for period, figure in zip(_months(len(figures)), figures, strict=True):
            if den is None:
                values.append(
                    ComputedValue(code, "month", period.start, period.end, "WIRRAL", value=figure)
                )
            else:
                values.append(
                    ComputedValue(
                        code,
                        "month",
                        period.start,
                        period.end,
                        "WIRRAL",
                        numerator=figure,
                        denominator=den,
                    )
                )
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    for code, (_, figures, published) in SERIES.items():
        for period in _months(len(figures))[:published]:
            await publish(client, COUNCIL_ANALYST, COUNCIL_APPROVER, code, period.label)

    r = await client.get("/v1/dashboard", params={"org_unit": "WIRRAL"}, headers=as_(POLICE_CLIENT))
    assert r.status_code == 200, r.text
    items = {i["indicator"]: i for i in r.json()["items"]}
    assert set(SERIES) <= set(items)
    signalled: set[str] = set()
    for code, (den, figures, published) in SERIES.items():
        series = await client.get(
            "/v1/series", params={"indicator": code}, headers=as_(POLICE_CLIENT)
        )
        assert series.status_code == 200, series.text
        points = [p for p in series.json()["points"] if p["value"] is not None]
        # the series answers the published figures recorded above (n of den, 4 places)
        scale = Fraction(1) if den is None else Fraction(100, den)
        assert [Fraction(p["value"]) for p in points] == [
            Fraction(round(f * scale * 10_000), 10_000) for f in figures[:published]
        ]
        want = _xmr([Fraction(p["value"]) for p in points])
        spc = items[code]["spc"]
        assert items[code]["period"] == points[-1]["period"]
        assert spc["points"] == len(points) == published
        for mine, theirs in (("mean", "mean"), ("upper_limit", "upper"), ("lower_limit", "lower")):
            if want[theirs] is None:
                assert spc[mine] is None
            else:
                assert spc[mine] == pytest.approx(float(want[theirs]), rel=1e-12)
        assert sorted(spc["latest_signals"]) == sorted(want["flags"][-1])
        assert spc["signal_periods"] == [
            p["period"] for p, f in zip(points, want["flags"], strict=True) if f
        ]
        signalled |= set().union(*want["flags"])
    # the series above exercise every rule, and the expected figures are not empty
    assert signalled == {"beyond_limits", "run", "trend"}
    assert _xmr([Fraction(f) for f in SERIES["CONTACTS"][1]])["flags"][3:10] == [{"trend"}] * 7
