"""Figures at every level whatever level the values arrived at (issue 14 item 6): values
recorded only for workers roll up through team, locality and service to the authority."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.periods import Period
from services.kpis.values.intake import record_computed_values
from tests.kpis.conftest import COUNCIL_ANALYST, COUNCIL_MANAGER, COUNCIL_VIEWER, as_

#: worker → (team, on time, assessments) for May and June 2017, all in Wallasey (WIRRAL-CSC)
#: except the early-help worker (WIRRAL-EH → WIRRAL-SOUTH → T-TAF-SOUTH)
WORKERS = {
    "W-00000000000a": ("T-CIN-W", (3, 4), (1, 2)),
    "W-00000000000b": ("T-CIN-W", (5, 10), (2, 2)),
    "W-00000000000c": ("T-TAF-SOUTH", (7, 7), (0, 3)),
}


def _values() -> list[ComputedValue]:
    out = []
    for worker, (_team, *months) in WORKERS.items():
        for month, (num, den) in zip((5, 6), months, strict=True):
            p = Period.month(2017, month)
            out.append(
                ComputedValue(
                    "ASSESS_45WD",
                    "month",
                    p.start,
                    p.end,
                    worker,
                    numerator=num,
                    denominator=den,
                )
            )
    return out


def _sum(team_filter: set[str], month: int) -> tuple[int, int]:
    rows = [months[month - 5] for team, *months in WORKERS.values() if team in team_filter]
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


async def test_worker_values_roll_up_to_every_level(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    placed = {worker: team for worker, (team, *_) in WORKERS.items()}
    await record_computed_values(
        session, values=_values(), import_id="imp", actor=COUNCIL_ANALYST, worker_teams=placed
    )
    await session.commit()
    parents = await session.execute(
        text(
            "SELECT w.code, p.code FROM kpis.org_unit w JOIN kpis.org_unit p "
            "ON p.org_unit_id = w.parent_id WHERE w.level = 'worker' ORDER BY w.code"
        )
    )
    assert [tuple(r) for r in parents.all()] == [(w, t[0]) for w, t in sorted(WORKERS.items())]
    everyone = {"T-CIN-W", "T-TAF-SOUTH"}
    for unit, teams in (
        ("WIRRAL", everyone),
        ("WIRRAL-CSC", {"T-CIN-W"}),
        ("WIRRAL-WALLASEY", {"T-CIN-W"}),
        ("T-CIN-W", {"T-CIN-W"}),
        ("WIRRAL-EH", {"T-TAF-SOUTH"}),
    ):
        r = await client.get(
            "/v1/series",
            params={"indicator": "ASSESS_45WD", "org_unit": unit},
            headers=as_(COUNCIL_MANAGER),
        )
        assert r.status_code == 200, r.text
        points = [
            (p["period"], p["numerator"], p["denominator"], p["rolled_up"])
            for p in r.json()["points"]
        ]
        assert points == [
            ("2017-05", *_sum(teams, 5), True),
            ("2017-06", *_sum(teams, 6), True),
        ], unit
    r = await client.get(
        "/v1/dashboard/drill-down",
        params={"indicator": "ASSESS_45WD", "period": "2017-05", "org_unit": "WIRRAL"},
        headers=as_(COUNCIL_VIEWER),
    )
    children = {c["org_unit"]: (c["numerator"], c["denominator"]) for c in r.json()["children"]}
    assert children == {"WIRRAL-CSC": _sum({"T-CIN-W"}, 5), "WIRRAL-EH": _sum({"T-TAF-SOUTH"}, 5)}
    assert (r.json()["total"]["numerator"], r.json()["total"]["denominator"]) == _sum(everyone, 5)
