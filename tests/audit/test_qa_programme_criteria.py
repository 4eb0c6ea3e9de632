"""Issue 16 item 3: audit programme → the plan's success criteria its grades show (the
criterion by code, a reference), linked and unlinked idempotently by a QA writer of the lead
agency, read by every QA reader, each change in the trail."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.identity import Caller
from tests.audit.qa import AUDITOR, POLICE, VIEWER, h, ok, programme, tool

PARTNER_VIEWER = Caller("police-viewer", "police", roles=frozenset({"viewer"}))


async def trail(conn: AsyncConnection, programme_id: int) -> list[tuple[str, str]]:
    rows = await conn.execute(
        text(
            "SELECT event_type, payload->>'criterion_code' AS code FROM audit.trail_event "
            "WHERE entity_type = 'audit_programme' AND entity_id = :e "
            "AND event_type LIKE 'audit_programme.criterion%' ORDER BY seq"
        ),
        {"e": str(programme_id)},
    )
    return [(r.event_type, r.code) for r in rows]


async def test_link_list_unlink_idempotent_with_trail_events(
    client: httpx.AsyncClient, audit_connection: AsyncConnection
) -> None:
    made = await programme(client, (await tool(client))["tool_id"])
    pid = made["programme_id"]
    url = f"/v1/audit-programmes/{pid}/criteria"
    first = await ok(await client.put(f"{url}/5E", headers=h(AUDITOR)))
    assert [c["criterion_code"] for c in first] == ["5E"]
    assert first[0]["created_by"] == AUDITOR.subject
    again = await ok(await client.put(f"{url}/5E", headers=h(AUDITOR)))
    assert again == first
    await ok(await client.put(f"{url}/4D", headers=h(AUDITOR)))
    listed = await ok(await client.get(url, headers=h(PARTNER_VIEWER)))
    assert [c["criterion_code"] for c in listed["items"]] == ["4D", "5E"]
    assert listed["total"] == 2
    by_criterion = await ok(
        await client.get("/v1/audit-programmes", params={"criterion": "4D"}, headers=h(VIEWER))
    )
    assert [p["programme_id"] for p in by_criterion["items"]] == [pid]
    assert by_criterion["total"] == 1
    left = await ok(await client.delete(f"{url}/5E", headers=h(AUDITOR)))
    assert [c["criterion_code"] for c in left] == ["4D"]
    await ok(await client.delete(f"{url}/5E", headers=h(AUDITOR)))
    assert await trail(audit_connection, pid) == [
        ("audit_programme.criterion_linked", "5E"),
        ("audit_programme.criterion_linked", "4D"),
        ("audit_programme.criterion_unlinked", "5E"),
    ]


async def test_rights_viewer_and_other_agencies_refused_writes(
    client: httpx.AsyncClient, audit_connection: AsyncConnection
) -> None:
    pid = (await programme(client, (await tool(client))["tool_id"]))["programme_id"]
    url = f"/v1/audit-programmes/{pid}/criteria/2B"
    for who in (VIEWER, PARTNER_VIEWER, POLICE):
        assert (await client.put(url, headers=h(who))).status_code == 403
        assert (await client.delete(url, headers=h(who))).status_code == 403
    listed = await ok(await client.get(f"/v1/audit-programmes/{pid}/criteria", headers=h(VIEWER)))
    assert listed["items"] == []
    assert await trail(audit_connection, pid) == []


async def test_criterion_code_format_and_unknown_programme(
    client: httpx.AsyncClient, audit_connection: AsyncConnection
) -> None:
    pid = (await programme(client, (await tool(client))["tool_id"]))["programme_id"]
    for bad in ("5", "5e", "AA", "55", "5EE"):
        r = await client.put(f"/v1/audit-programmes/{pid}/criteria/{bad}", headers=h(AUDITOR))
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.put("/v1/audit-programmes/999999/criteria/1A", headers=h(AUDITOR))
    assert r.status_code == 404
    assert await trail(audit_connection, pid) == []
