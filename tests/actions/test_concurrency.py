"""True concurrency on committed data: racing writers (one wins, one 412) and 50 identical
POSTs with one Idempotency-Key (one row). Each request gets its own pooled connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.actions.config import ActionsSettings
from services.actions.main import create_app
from shared.db import create_sessionmaker
from shared.identity import InternalTokenVerifier
from tests.actions.conftest import action_id, etag_of, manager, who
from tests.actions.factories import action, make_plan
from tests.support.apps import client_for
from tests.support.tokens import ISSUER, internal_keys

TITLE = "Concurrency plan"


@pytest.fixture
async def live(actions_engine: AsyncEngine) -> AsyncIterator[tuple[httpx.AsyncClient, int]]:
    """A committed plan with one action, and a client on an app with real transactions."""
    async with actions_engine.begin() as conn:
        plan = await make_plan(conn, TITLE, [action("1A1", due_date="2030-06-01")])
        act = await action_id(conn, plan, "1A1")
    app: FastAPI = create_app(ActionsSettings(profile="test"))
    app.state.engine = actions_engine
    app.state.sessionmaker = create_sessionmaker(actions_engine)
    app.state.verifier = InternalTokenVerifier(
        internal_keys()[1], issuer=ISSUER, audience="actions"
    )
    try:
        async with client_for(app) as client:
            yield client, act
    finally:
        async with actions_engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM actions.outbox WHERE entity_type='action' AND entity_id=:a"),
                {"a": str(act)},
            )
            await conn.execute(text("DELETE FROM actions.idempotency_key WHERE key LIKE 'race-%'"))
            await conn.execute(text("DELETE FROM actions.plan WHERE title=:t"), {"t": TITLE})
            await conn.execute(
                text("DELETE FROM actions.owner WHERE title IN ('Test Owner', 'Second Owner')")
            )


async def test_racing_edits_one_wins_one_412(live: tuple[httpx.AsyncClient, int]) -> None:
    client, act = live
    etag = await etag_of(client, act)
    results = await asyncio.gather(
        *(
            client.patch(
                f"/v1/actions/{act}",
                json={"title": f"Title {n}"},
                headers=manager() | {"If-Match": etag},
            )
            for n in range(2)
        )
    )
    assert sorted(r.status_code for r in results) == [200, 412]


async def test_racing_progress_updates_one_wins_one_412(
    live: tuple[httpx.AsyncClient, int], actions_engine: AsyncEngine
) -> None:
    client, act = live
    etag = await etag_of(client, act)
    body = {"narrative": "Done a bit", "percent_complete": 10, "declared_rag": "green"}
    results = await asyncio.gather(
        *(
            client.post(
                f"/v1/actions/{act}/updates",
                json=body | {"percent_complete": 10 + n},
                headers=who("council", "contributor", subject=f"writer-{n}") | {"If-Match": etag},
            )
            for n in range(2)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 412]
    async with actions_engine.connect() as conn:
        n = await conn.scalar(
            text("SELECT count(*) FROM actions.progress_update WHERE action_id=:a"), {"a": act}
        )
    assert n == 1


async def test_fifty_identical_posts_make_one_row(
    live: tuple[httpx.AsyncClient, int], actions_engine: AsyncEngine
) -> None:
    client, act = live
    etag = await etag_of(client, act)
    body = {"narrative": "Monthly return", "percent_complete": 30, "declared_rag": "amber"}
    headers = who("council", "contributor") | {"If-Match": etag, "Idempotency-Key": "race-1"}
    results = await asyncio.gather(
        *(client.post(f"/v1/actions/{act}/updates", json=body, headers=headers) for _ in range(50))
    )
    codes = [r.status_code for r in results]
    assert set(codes) <= {201, 409}, codes  # 409: the first is still running, retry later
    created = [r for r in results if r.status_code == 201]
    assert created
    assert len({r.json()["update_id"] for r in created}) == 1
    async with actions_engine.connect() as conn:
        rows = await conn.scalar(
            text("SELECT count(*) FROM actions.progress_update WHERE action_id=:a"), {"a": act}
        )
        events = await conn.scalar(
            text(
                "SELECT count(*) FROM actions.outbox WHERE entity_id=:a "
                "AND event_type='action.progress_reported'"
            ),
            {"a": str(act)},
        )
    assert (rows, events) == (1, 1)
    # a retry after the rush replays the stored answer
    later = await client.post(f"/v1/actions/{act}/updates", json=body, headers=headers)
    assert later.status_code == 201
    assert later.headers["Idempotent-Replayed"] == "true"
