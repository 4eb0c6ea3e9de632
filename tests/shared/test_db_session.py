"""One transaction per request: committed when the endpoint returns, rolled back when it raises;
the outbox event rides the same transaction (AU2); the database gone → 503 problem (R4)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.db import outbox
from shared.app import build_app
from shared.config import ServiceSettings
from shared.db import SessionDep
from shared.outbox import OutboxEvent, add_event
from shared.problems import Conflict
from tests.support.apps import bind_app, client_for


def make_app() -> FastAPI:
    router = APIRouter()

    @router.post("/events/{entity_id}")
    async def write(entity_id: str, session: SessionDep, fail: bool = False) -> dict[str, str]:
        await add_event(session, outbox, OutboxEvent("probe.written", "probe", entity_id))
        await session.flush()
        if fail:
            raise Conflict("refused after writing")
        return {"entity_id": entity_id}

    return build_app(
        ServiceSettings(profile="test", service_name="actions"),
        title="probe",
        description="probe",
        routers=[router],
    )


async def _count(connection: AsyncConnection, entity_id: str) -> int:
    stmt = select(func.count()).select_from(outbox).where(outbox.c.entity_id == entity_id)
    return (await connection.execute(stmt)).scalar_one()


async def test_success_commits_the_change_and_its_event(
    actions_connection: AsyncConnection,
) -> None:
    app = bind_app(make_app(), actions_connection, "actions")
    entity = uuid.uuid4().hex
    async with client_for(app) as client:
        r = await client.post(
            f"/events/{entity}", headers={"X-Request-ID": "0d9a3c36-0b8e-4c8e-9d5b-7c0c6f2f9a10"}
        )
    assert r.status_code == 200
    assert await _count(actions_connection, entity) == 1
    row = (
        await actions_connection.execute(select(outbox).where(outbox.c.entity_id == entity))
    ).one()
    assert row.request_id == "0d9a3c36-0b8e-4c8e-9d5b-7c0c6f2f9a10"
    assert row.sent_at is None


async def test_an_error_rolls_back_everything_the_request_wrote(
    actions_connection: AsyncConnection,
) -> None:
    app = bind_app(make_app(), actions_connection, "actions")
    entity = uuid.uuid4().hex
    async with client_for(app) as client:
        r = await client.post(f"/events/{entity}?fail=true")
    assert r.status_code == 409
    assert await _count(actions_connection, entity) == 0


async def test_unreachable_database_gives_503_problems() -> None:
    from shared.devtools.embedded import free_port

    dead = f"postgresql+asyncpg://actions_svc:x@127.0.0.1:{free_port()}/none"
    settings = ServiceSettings(
        profile="test", service_name="actions", database_url=SecretStr(dead), db_connect_timeout_s=1
    )
    router = APIRouter()

    @router.get("/needs-db")
    async def needs_db(session: SessionDep) -> dict[str, int]:
        return {"n": (await session.execute(select(func.count()).select_from(outbox))).scalar_one()}

    app = build_app(settings, title="p", description="p", routers=[router])
    async with app.router.lifespan_context(app), client_for(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        r = await client.get("/needs-db")
        assert r.status_code == 503
        assert r.headers["retry-after"]
        assert r.json()["type"].endswith("database-unavailable")
        assert (await client.get("/healthz")).status_code == 200
