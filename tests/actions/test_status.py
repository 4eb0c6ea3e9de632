"""Status rules: the allowed moves, evidence before completion, who may mark embedded."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.actions.status import ALLOWED
from tests.actions.conftest import action_id, manager, move, report, who

ALL = ("not_started", "in_progress", "completed", "embedded", "blocked", "deferred")
COUNCIL = who("council", "contributor")


async def _force(conn: AsyncConnection, action: int, status: str, evidence: bool = True) -> None:
    from sqlalchemy import text

    await conn.execute(
        text("UPDATE actions.action SET status=:s, has_evidence=:e WHERE action_id=:a"),
        {"s": status, "e": evidence, "a": action},
    )


@pytest.mark.parametrize("current", ALL)
async def test_every_move_from(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int, current: str
) -> None:
    act = await action_id(conn, plan_id, "2C3")
    for target in ALL:
        await _force(conn, act, current)
        r = await move(client, act, target, manager())
        if target in ALLOWED[current]:
            assert r.status_code == 200, (current, target, r.text)
            assert r.json()["status"] == target
        else:
            assert r.status_code == 409, (current, target)
            problem = r.json()
            assert problem["allowed"] == list(ALLOWED[current])
            assert problem["errors"][0]["field"] == "status"


async def test_completing_needs_evidence(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "1C5")
    assert (await report(client, act, COUNCIL, percent=90)).status_code == 201
    r = await move(client, act, "completed", COUNCIL)
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "evidence_required"
    r = await report(client, act, COUNCIL, percent=100, evidence=["QA report 2017-10, p.4"])
    assert r.status_code == 201
    r = await move(client, act, "completed", COUNCIL)
    assert r.status_code == 200
    assert r.json()["status"] == "completed"
    assert r.json()["percent_complete"] == 100
    assert r.json()["completed_at"] is not None


async def test_first_progress_starts_the_action(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "1C6")
    await report(client, act, COUNCIL, percent=10)
    detail = (await client.get(f"/v1/actions/{act}", headers=COUNCIL)).json()
    assert detail["status"] == "in_progress"
    assert detail["history"][0]["detail"]["to"] == "in_progress"


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        (manager(), True),
        (who("council", "admin"), True),
        (who("ccg", "auditor"), True),
        (who("council", "contributor"), False),
        (who("council", "approver"), False),
        (who("probation", "plan_manager"), False),  # plan managers are council callers
    ],
)
async def test_embedded_needs_plan_manager_or_auditor(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    plan_id: int,
    headers: Mapping[str, str],
    allowed: bool,
) -> None:
    act = await action_id(conn, plan_id, "1A1")
    await _force(conn, act, "completed")
    r = await move(client, act, "embedded", headers)
    assert r.status_code == (200 if allowed else 403), r.text
