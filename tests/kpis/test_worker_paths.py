"""Every kpis path that could return worker-level rows keeps to the one rule (Z5).

``/v1/values`` (with and without history), its CSV export, the series, the dashboard and the
drill-down: a published worker value reaches a council manager only with a stated purpose,
and each such read is recorded (``sensitive.read``); everyone else gets no worker rows.
An import's values: ``tests/kpis/imports/test_worker_values.py``.
"""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.periods import Period
from services.kpis.values.intake import record_computed_values
from tests.kpis.conftest import (
    COUNCIL_ANALYST,
    COUNCIL_APPROVER,
    COUNCIL_MANAGER,
    COUNCIL_VIEWER,
    POLICE_CLIENT,
    as_,
)
from tests.kpis.helpers import publish

WORKER = "W-cccccccccccc"
IND = "ASSESS_45WD"


async def _reads(session: AsyncSession) -> int:
    sql = text("SELECT count(*) FROM kpis.outbox WHERE event_type = 'sensitive.read'")
    return int(await session.scalar(sql) or 0)


async def test_no_path_returns_worker_rows_without_role_and_purpose(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    p = Period.month(2017, 6)
    values = [ComputedValue(IND, "month", p.start, p.end, WORKER, numerator=3, denominator=4)]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    await publish(client, COUNCIL_ANALYST, COUNCIL_APPROVER, IND, "2017-06")
    reads = await _reads(session)
    everyone = (POLICE_CLIENT, COUNCIL_VIEWER, COUNCIL_ANALYST, COUNCIL_MANAGER)
    for who in everyone:
        for history in ("false", "true"):
            listed = await client.get(
                "/v1/values",
                params={"indicator": IND, "org_unit": WORKER, "history": history},
                headers=as_(who),
            )
            assert listed.json()["total"] == 0
        export = await client.get(
            "/v1/values/export.csv",
            params={"indicator": IND, "purpose": "ignored here"},
            headers=as_(who),
        )
        assert export.status_code == 200
        assert WORKER not in export.text
        dashboard = await client.get("/v1/dashboard", params={"org_unit": WORKER}, headers=as_(who))
        assert dashboard.status_code == 404
    for who in (POLICE_CLIENT, COUNCIL_VIEWER, COUNCIL_ANALYST):
        series = await client.get(
            "/v1/series",
            params={"indicator": IND, "org_unit": WORKER, "purpose": "curious"},
            headers=as_(who),
        )
        assert series.status_code == 404
    assert await _reads(session) == reads
    # the manager: no purpose, a 400; with one, the figure and a recorded read
    series = {"indicator": IND, "org_unit": WORKER}
    bare = await client.get("/v1/series", params=series, headers=as_(COUNCIL_MANAGER))
    assert bare.status_code == 400
    stated = await client.get(
        "/v1/series", params=series | {"purpose": "caseload review"}, headers=as_(COUNCIL_MANAGER)
    )
    assert stated.status_code == 200
    assert [(pt["numerator"], pt["denominator"]) for pt in stated.json()["points"]] == [(3, 4)]
    assert await _reads(session) == reads + 1
