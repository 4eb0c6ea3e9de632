"""The seed adds the standard tool and the plan's programmes once."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.seed import PROGRAMMES, seed
from services.audit.trail.signing import CheckpointSigner
from tests.audit.qa import VIEWER, h, ok
from tests.support.apps import session_on


async def test_the_seed_is_idempotent_and_links_the_plan_actions(
    audit_connection: AsyncConnection,
    client: httpx.AsyncClient,
    audit_app: FastAPI,
) -> None:
    signer: CheckpointSigner = audit_app.state.trail_signer
    session = session_on(audit_connection)
    assert await seed(session, signer) == 1 + len(PROGRAMMES)
    assert await seed(session, signer) == 0
    await session.flush()
    found = await ok(
        await client.get("/v1/audit-programmes", params={"action": "5B3"}, headers=h(VIEWER))
    )
    assert [p["title"] for p in found["items"]] == ["Multi-agency CSE audit at MACSE"]
    assert found["items"][0]["is_multi_agency"] is True
    tools = await ok(await client.get("/v1/audit-tools", headers=h(VIEWER)))
    assert [t["code"] for t in tools["items"]] == ["QALF-CASE"]
