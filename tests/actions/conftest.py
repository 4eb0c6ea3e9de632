"""Actions tests: a database of their own with the Wirral seed committed once; each test
runs in a rolled-back transaction on it (so the seed is always as loaded)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from services.actions.config import ActionsSettings
from services.actions.main import create_app
from services.actions.plans.loader import load_plan, read_seed
from shared.identity import Caller
from tests.support.apps import bind_app, client_for, rolled_back
from tests.support.database import ThrowawayDatabase, fresh_database
from tests.support.tokens import auth_header, caller

PLAN_TITLE = "Wirral Children and Young People's Improvement Plan 2017-2019"


@pytest.fixture(scope="session")
def actions_db(pg_server: str) -> ThrowawayDatabase:
    return fresh_database(pg_server, label="act")


@pytest.fixture(scope="session")
async def actions_engine(actions_db: ThrowawayDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(actions_db.service_url("actions"), pool_size=10, max_overflow=60)
    async with engine.begin() as conn:
        await load_plan(conn, read_seed())
    yield engine
    await engine.dispose()


@pytest.fixture
async def conn(actions_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with rolled_back(actions_engine) as connection:
        yield connection


@pytest.fixture
def app(conn: AsyncConnection) -> FastAPI:
    return bind_app(create_app(ActionsSettings(profile="test")), conn, audience="actions")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as c:
        yield c


@pytest.fixture
async def plan_id(conn: AsyncConnection) -> int:
    found = await conn.scalar(
        text("SELECT plan_id FROM actions.plan WHERE title = :t"), {"t": PLAN_TITLE}
    )
    assert found is not None
    return int(found)


class As(Mapping[str, str]):
    """Headers acting as a caller, minting a fresh internal token whenever they are read
    (tokens live 60 s; headers built at collection time must not go stale)."""

    def __init__(self, who: Caller) -> None:
        self.who = who

    def __getitem__(self, key: str) -> str:
        if key != "Authorization":
            raise KeyError(key)
        return auth_header(self.who, "actions")["Authorization"]

    def __iter__(self) -> Iterator[str]:
        return iter(("Authorization",))

    def __len__(self) -> int:
        return 1

    def __or__(self, other: Mapping[str, str]) -> dict[str, str]:
        return dict(self) | dict(other)


def who(
    agency: str = "council",
    *roles: str,
    scopes: tuple[str, ...] = (),
    kind: str = "user",
    subject: str | None = None,
) -> As:
    """Headers acting as a caller: ``who("police", "contributor")``."""
    return As(caller(agency, roles or (), scopes, subject=subject, kind=kind))


def manager() -> As:
    return who("council", "plan_manager", subject="plan-manager-1")


async def action_id(conn: AsyncConnection, plan: int, ref: str) -> int:
    found = await conn.scalar(
        text("SELECT action_id FROM actions.action WHERE plan_id = :p AND ref = :r"),
        {"p": plan, "r": ref},
    )
    assert found is not None
    return int(found)


async def count(conn: AsyncConnection, sql: str, **params: Any) -> int:
    return int(await conn.scalar(text(sql), params) or 0)


async def etag_of(client: httpx.AsyncClient, action: int) -> str:
    r = await client.get(f"/v1/actions/{action}", headers=who("council", "viewer"))
    assert r.status_code == 200, r.text
    return r.headers["ETag"]


async def report(
    client: httpx.AsyncClient,
    action: int,
    headers: Mapping[str, str],
    *,
    percent: int = 50,
    rag: str = "green",
    evidence: list[str] | None = None,
    step: int | None = None,
    etag: str | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "narrative": "Work is going ahead.",
        "percent_complete": percent,
        "declared_rag": rag,
        "evidence": evidence or [],
        **extra,
    }
    if step is not None:
        body["step_number"] = step
    return await client.post(
        f"/v1/actions/{action}/updates",
        json=body,
        headers=dict(headers) | {"If-Match": etag or await etag_of(client, action)},
    )


async def move(
    client: httpx.AsyncClient, action: int, status: str, headers: Mapping[str, str]
) -> httpx.Response:
    return await client.post(
        f"/v1/actions/{action}/status",
        json={"status": status},
        headers=dict(headers) | {"If-Match": await etag_of(client, action)},
    )
