"""The outbox relay: in order, exactly once, through outages of the trail or the gateway."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.actions.db import outbox as actions_outbox
from services.audit.config import AuditSettings
from services.audit.main import create_app
from services.audit.trail import service as trail
from services.audit.trail.signing import CheckpointSigner
from shared.db import create_sessionmaker
from shared.identity import Caller, InternalTokenVerifier
from shared.outbox import OutboxEvent, add_event
from shared.relay import OutboxRelay, RelaySettings, TokenSource, build_relay, relay_hooks
from tests.support.database import ThrowawayDatabase, fresh_database
from tests.support.tokens import ISSUER, internal_keys, minter

SECRET = "relay-secret-for-tests"


class FakeGateway(httpx.AsyncBaseTransport):
    """The gateway as the relay sees it: client credentials, then forwarding to the trail.

    ``down`` makes every call a transport error (gateway or audit service stopped);
    ``lose_answers`` forwards the batch but loses the answer (the trail stored it).
    """

    def __init__(self, audit_app: FastAPI) -> None:
        self.inner = httpx.ASGITransport(app=audit_app, raise_app_exceptions=False)
        self.down = False
        self.lose_answers = 0
        self.tokens_issued = 0
        self.batches = 0
        self.clients: dict[str, str] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/oauth/token":
            form = {k: v[0] for k, v in parse_qs((await request.aread()).decode()).items()}
            assert form["grant_type"] == "client_credentials"
            assert form["scope"] == "trail:append"
            if form["client_secret"] != SECRET:
                return httpx.Response(401, json={"error": "invalid_client"})
            self.tokens_issued += 1
            outer = f"outer-{self.tokens_issued}"
            self.clients[outer] = form["client_id"]
            return httpx.Response(200, json={"access_token": outer, "expires_in": 300})
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        client_id = self.clients.get(bearer)
        if client_id is None:
            return httpx.Response(401)
        who = Caller(
            subject=client_id,
            agency="council",
            scopes=frozenset({"trail:append"}),
            client_id=client_id,
            kind="client",
        )
        inner = f"Bearer {minter().mint(who, 'audit')}"
        forwarded = httpx.Request(
            request.method,
            request.url,
            headers={"authorization": inner, "content-type": "application/json"},
            content=await request.aread(),
        )
        self.batches += 1
        response = await self.inner.handle_async_request(forwarded)
        await response.aread()
        if self.lose_answers:
            self.lose_answers -= 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


@pytest.fixture(scope="module")
def relay_db(pg_server: str) -> ThrowawayDatabase:
    """A database of its own: the relay and the trail really commit here."""
    return fresh_database(pg_server, label="relay")


@pytest.fixture
async def engines(relay_db: ThrowawayDatabase) -> AsyncIterator[dict[str, AsyncEngine]]:
    made = {
        "actions": create_async_engine(relay_db.service_url("actions")),
        "audit": create_async_engine(relay_db.service_url("audit"), pool_size=8),
    }
    yield made
    for engine in made.values():
        await engine.dispose()


@pytest.fixture
def gateway(engines: dict[str, AsyncEngine]) -> FakeGateway:
    app = create_app(AuditSettings(profile="test"))
    app.state.engine = engines["audit"]
    app.state.sessionmaker = create_sessionmaker(engines["audit"])
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="audit")
    return FakeGateway(app)


def settings(**overrides: object) -> RelaySettings:
    values: dict[str, object] = {
        "profile": "test",
        "gateway_url": "http://gateway",
        "relay_enabled": True,
        "relay_client_id": "actions-relay",
        "relay_client_secret": SecretStr(SECRET),
        "relay_interval_s": 0.01,
        "relay_batch_size": 7,
        "relay_max_backoff_s": 0.05,
    }
    values.update(overrides)
    return RelaySettings(**values)  # type: ignore[arg-type]


async def write(engine: AsyncEngine, n: int, *, rollback: bool = False) -> list[uuid.UUID]:
    """``n`` changes in the actions service, each in its own transaction with its event."""
    ids = []
    maker = create_sessionmaker(engine)
    for i in range(n):
        async with maker() as session:
            event = OutboxEvent("action.updated", "action", f"5A{i}", payload={"n": i})
            await add_event(session, actions_outbox, event)
            if rollback:
                await session.rollback()
            else:
                await session.commit()
                ids.append(event.event_id)
    return ids


async def trail_ids(engine: AsyncEngine) -> list[uuid.UUID]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT event_id FROM audit.trail_event WHERE source = 'actions' ORDER BY seq")
        )
        return [r.event_id for r in rows]


async def unsent(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        t = actions_outbox
        return int(await conn.scalar(select(func.count()).where(t.c.sent_at.is_(None))) or 0)


async def verified(engine: AsyncEngine) -> bool:
    async with create_sessionmaker(engine)() as session:
        signer = CheckpointSigner.from_settings(AuditSettings(profile="test"))
        return (await trail.verify(session, signer)).valid


@pytest.fixture
async def clean(engines: dict[str, AsyncEngine], gateway: FakeGateway) -> None:
    """Ship whatever an earlier test left, so each test starts from an empty outbox."""
    async with httpx.AsyncClient(transport=gateway) as http:
        await build_relay(settings(), actions_outbox, engines["actions"], http).drain()


async def test_an_outage_loses_nothing_and_every_event_arrives_once_in_order(
    engines: dict[str, AsyncEngine], gateway: FakeGateway, clean: None
) -> None:
    before = await trail_ids(engines["audit"])
    async with httpx.AsyncClient(transport=gateway) as http:
        relay = build_relay(settings(), actions_outbox, engines["actions"], http)
        gateway.down = True
        written = await write(engines["actions"], 10)
        with pytest.raises(httpx.TransportError):
            await relay.drain()
        written += await write(engines["actions"], 10)
        await write(engines["actions"], 3, rollback=True)  # rolled back: no events
        assert await unsent(engines["actions"]) == 20
        gateway.down = False
        gateway.lose_answers = 1  # the first batch is stored but its answer is lost
        with pytest.raises(httpx.TransportError):
            await relay.drain()
        assert await relay.drain() == 20
    assert await unsent(engines["actions"]) == 0
    arrived = (await trail_ids(engines["audit"]))[len(before) :]
    assert arrived == written
    assert await verified(engines["audit"])


async def test_the_running_relay_backs_off_and_catches_up_when_the_trail_returns(
    engines: dict[str, AsyncEngine], gateway: FakeGateway, clean: None
) -> None:
    before = await trail_ids(engines["audit"])
    app = FastAPI()
    app.state.engine = engines["actions"]
    async with httpx.AsyncClient(transport=gateway) as http:
        start, stop = relay_hooks(settings(), actions_outbox, http_client=http)
        gateway.down = True
        await start(app)
        relay: OutboxRelay = app.state.outbox_relay
        written = await write(engines["actions"], 15)
        for _ in range(500):
            if relay.failures >= 3:
                break
            await asyncio.sleep(0.01)
        assert relay.failures >= 3
        gateway.down = False
        for _ in range(1000):
            if await unsent(engines["actions"]) == 0:
                break
            await asyncio.sleep(0.02)
        await stop(app)
    assert (await trail_ids(engines["audit"]))[len(before) :] == written
    assert await verified(engines["audit"])


async def test_the_token_is_fetched_once_and_reused(
    engines: dict[str, AsyncEngine], gateway: FakeGateway, clean: None
) -> None:
    async with httpx.AsyncClient(transport=gateway) as http:
        relay = build_relay(settings(), actions_outbox, engines["actions"], http)
        issued = gateway.tokens_issued
        await write(engines["actions"], 20)
        assert await relay.drain() == 20
        assert gateway.tokens_issued == issued + 1
        assert gateway.batches >= 3


async def test_a_refused_secret_leaves_rows_unsent_and_counts_attempts(
    engines: dict[str, AsyncEngine], gateway: FakeGateway, clean: None
) -> None:
    async with httpx.AsyncClient(transport=gateway) as http:
        wrong = settings(relay_client_secret=SecretStr("wrong"))
        relay = build_relay(wrong, actions_outbox, engines["actions"], http)
        await write(engines["actions"], 2)
        with pytest.raises(Exception, match="token endpoint answered 401"):
            await relay.drain()
    assert await unsent(engines["actions"]) == 2
    async with engines["actions"].connect() as conn:
        attempts = await conn.scalar(
            select(func.min(actions_outbox.c.attempts)).where(actions_outbox.c.sent_at.is_(None))
        )
    assert attempts == 1


async def test_a_disabled_relay_does_not_start() -> None:
    app = FastAPI()
    start, stop = relay_hooks(settings(relay_enabled=False), actions_outbox)
    await start(app)
    assert getattr(app.state, "outbox_relay", None) is None
    await stop(app)


async def test_tokens_are_renewed_after_a_401() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(200, json={"access_token": f"t{len(calls)}", "expires_in": 300})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        tokens = TokenSource(http, "http://gw/oauth/token", "kpis-relay", SecretStr(SECRET))
        assert await tokens.get() == "t1"
        assert await tokens.get() == "t1"
        tokens.invalidate()
        assert await tokens.get() == "t2"
