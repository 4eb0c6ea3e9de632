"""Issue 15.2: carrying a step of an action another agency leads lets an agency report on
that step, never move (complete, block, defer...) the action itself."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, manager, move, report, who

POLICE = who("police", "contributor", subject="police-step-owner")
COUNCIL = who("council", "contributor", subject="council-lead")


async def test_a_step_owner_of_another_agency_cannot_move_or_complete_the_action(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "5D2")  # council-led; step 2 is the police's
    lead = await conn.scalar(
        text("SELECT lead_agency FROM actions.action WHERE action_id = :a"), {"a": act}
    )
    assert lead == "council"
    # the police report on their step, with evidence
    step = await report(client, act, POLICE, step=2, percent=100, evidence=["minutes.pdf"])
    assert step.status_code == 201, step.text
    # (their first progress started the action) ... but they may not move it on
    for status in ("completed", "blocked", "deferred"):
        r = await move(client, act, status, POLICE)
        assert r.status_code == 403, (status, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    status = await conn.scalar(
        text("SELECT status FROM actions.action WHERE action_id = :a"), {"a": act}
    )
    assert status == "in_progress"  # nothing half-written
    # the lead agency may complete it
    assert (await move(client, act, "completed", COUNCIL)).status_code == 200


async def test_a_named_contributor_reports_but_only_the_lead_or_a_manager_moves_it(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "1A1")  # council-led; probation contributes
    assert (await report(client, act, who("probation", "contributor"))).status_code == 201
    r = await move(client, act, "blocked", who("probation", "contributor"))
    assert r.status_code == 403
    assert (await move(client, act, "blocked", manager())).status_code == 200
