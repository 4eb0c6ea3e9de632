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


async def test_values_postgresql_cannot_store_are_422_problems_not_500s(
    actions_connection: AsyncConnection,
) -> None:
    """Found by the API fuzzer (a NUL character in text, an integer beyond int32 reaching an
    INTEGER column): these were 500s; they are 422 problems that do not echo the value."""
    from sqlalchemy import text

    router = APIRouter()

    @router.post("/store")
    async def store(session: SessionDep, kind: str) -> dict[str, str]:
        if kind == "nul":
            await session.execute(text("SELECT CAST(:v AS text)"), {"v": "SENTINEL\x00"})
        else:
            await session.execute(text("SELECT CAST(:v AS integer)"), {"v": 2**40})
        return {"stored": kind}

    app = build_app(
        ServiceSettings(profile="test", service_name="actions"),
        title="probe",
        description="probe",
        routers=[router],
    )
    app = bind_app(app, actions_connection, "actions")
    async with client_for(app) as client:
        for kind in ("nul", "overflow"):
            r = await client.post(f"/store?kind={kind}")
            assert r.status_code == 422, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert "SENTINEL" not in r.text
            assert str(2**40) not in r.text


async def test_an_exhausted_connection_pool_is_a_503_problem_not_a_500() -> None:
    """Found by the load profile (50 logins at once): the pool's timeout was a 500."""
    from sqlalchemy.exc import TimeoutError as PoolTimeoutError

    router = APIRouter()

    @router.get("/busy")
    async def busy() -> None:
        raise PoolTimeoutError("QueuePool limit of size 10 overflow 10 reached")

    app = build_app(
        ServiceSettings(profile="test", service_name="actions"),
        title="probe",
        description="probe",
        routers=[router],
        use_database=False,
    )
    async with client_for(app) as client:
        r = await client.get("/busy")
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"]


def test_a_server_shutting_down_or_starting_counts_as_unavailable() -> None:
    # regression (PostgreSQL restart under load): "the database system is shutting down"
    # (SQLSTATE 57P03) reached clients as a 500 instead of a 503 problem
    import asyncpg
    from sqlalchemy.exc import DBAPIError

    from shared.db import _is_connection_error

    for cause in (
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.TooManyConnectionsError("too many clients"),
    ):
        adapted = Exception("the driver's adapted error")  # as SQLAlchemy's asyncpg adapter
        adapted.__cause__ = cause
        assert _is_connection_error(DBAPIError("SELECT 1", None, adapted)), type(cause).__name__
    adapted = Exception("the driver's adapted error")
    adapted.__cause__ = asyncpg.UniqueViolationError("duplicate key")
    assert not _is_connection_error(DBAPIError("INSERT", None, adapted))
