"""The outbox relay every service runs: ships its outbox to the audit trail, in order.

A background task (started by the service's lifespan through :func:`relay_hooks`) reads the
unsent rows of the service's ``outbox`` in ``seq`` order, posts them in batches to the gateway
at ``POST {gateway_url}/v1/trail/events`` with a bearer token got by OAuth 2.0 client
credentials (``POST {gateway_url}/oauth/token``, scope ``trail:append``, cached until shortly
before it expires) and marks rows ``sent_at`` only for the event ids the trail says it stored.
The trail deduplicates by ``event_id``, so a batch whose answer was lost is simply sent again:
each event is stored exactly once. Failures back off exponentially (with jitter) up to
``relay_max_backoff_s``; nothing is dropped. One relay per outbox ships at a time (a
transaction-scoped advisory lock), so several replicas of a service keep the order.

Wiring a service (the settings class inherits :class:`RelaySettings`)::

    on_startup, on_shutdown = relay_hooks(settings, outbox)
    build_app(settings, ..., on_startup=[on_startup], on_shutdown=[on_shutdown])
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import Field, SecretStr
from sqlalchemy import Table, func, select, text, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.config import ServiceSettings
from shared.http import create_http_client
from shared.logs import get_logger

log = get_logger("relay")
Hook = Callable[[FastAPI], Awaitable[None]]
SCOPE = "trail:append"
EVENTS_PATH = "/v1/trail/events"
TOKEN_PATH = "/oauth/token"


class RelaySettings(ServiceSettings):
    """What the relay reads; a service's settings inherit it (env ``<PREFIX>RELAY_...``)."""

    gateway_url: str = Field("http://127.0.0.1:8000", description="the gateway the relay posts to")
    relay_enabled: bool = Field(False, description="ship this service's outbox to the trail")
    relay_client_id: str = Field("", description="OAuth client of the relay: <service>-relay")
    relay_client_secret: SecretStr = Field(
        SecretStr("dev-only-relay-secret"), description="the relay client's secret"
    )
    relay_interval_s: float = Field(1.0, gt=0, le=3600, description="pause when idle")
    relay_batch_size: int = Field(200, ge=1, le=500, description="events per POST")
    relay_max_backoff_s: float = Field(60.0, gt=0, description="longest pause after failures")

    def secret_fields(self) -> dict[str, str]:
        """The relay's secret counts (and must be real outside local/test) only when it runs."""
        found = super().secret_fields()
        if not self.relay_enabled:
            found.pop("relay_client_secret", None)
        return found


class RelayError(Exception):
    """The trail did not acknowledge a batch (the rows stay unsent)."""


class TokenSource:
    """OAuth 2.0 client credentials, cached until shortly before ``expires_in``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        scope: str = SCOPE,
    ) -> None:
        self._http = http
        self._url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._scope = scope
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._token = None

    async def get(self) -> str:
        async with self._lock:
            if self._token is not None and time.monotonic() < self._expires:
                return self._token
            response = await self._http.post(
                self._url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._secret.get_secret_value(),
                    "scope": self._scope,
                },
            )
            if response.status_code != 200:
                raise RelayError(f"token endpoint answered {response.status_code}")
            body = response.json()
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise RelayError("token endpoint gave no access_token")
            lifetime = float(body.get("expires_in") or 300)
            self._token = token
            self._expires = time.monotonic() + lifetime - min(30.0, lifetime / 10)
            return token


def _wire(row: RowMapping) -> dict[str, Any]:
    return {
        "event_id": str(row["event_id"]),
        "event_type": row["event_type"],
        "entity_type": row["entity_type"],
        "entity_id": row["entity_id"],
        "occurred_at": row["occurred_at"].isoformat(),
        "actor": row["actor"],
        "request_id": row["request_id"],
        "purpose": row["purpose"],
        "payload": row["payload"],
    }


class OutboxRelay:
    """Ships ``table`` (an outbox built by ``shared.outbox.outbox_table``) to the trail."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        table: Table,
        http: httpx.AsyncClient,
        events_url: str,
        tokens: TokenSource,
        batch_size: int = 200,
        interval_s: float = 1.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        self.engine = engine
        self.table = table
        self.http = http
        self.events_url = events_url
        self.tokens = tokens
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.failures = 0
        self._lock_key = f"outbox-relay:{table.fullname}"
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def ship_once(self) -> int:
        """Ship one batch; the number of rows marked sent (0: nothing to do or busy)."""
        t = self.table
        async with self.engine.begin() as conn:
            got = await conn.scalar(
                text("SELECT pg_try_advisory_xact_lock(hashtext(:k))"), {"k": self._lock_key}
            )
            if not got:
                return 0  # another replica is shipping this outbox
            rows = (
                await conn.execute(
                    select(t).where(t.c.sent_at.is_(None)).order_by(t.c.seq).limit(self.batch_size)
                )
            ).mappings()
            batch = list(rows)
            if not batch:
                return 0
            try:
                stored = await self._post([_wire(r) for r in batch])
            except Exception:
                await self._count_attempt([r["seq"] for r in batch])
                raise
            ids = [r["event_id"] for r in batch if str(r["event_id"]) in stored]
            if ids:
                await conn.execute(
                    update(t).where(t.c.event_id.in_(ids)).values(sent_at=func.now())
                )
        if len(ids) < len(batch):
            raise RelayError("the trail did not acknowledge every event of the batch")
        return len(ids)

    async def _count_attempt(self, seqs: Sequence[int]) -> None:
        try:
            async with self.engine.begin() as conn:
                t = self.table
                await conn.execute(
                    update(t).where(t.c.seq.in_(list(seqs))).values(attempts=t.c.attempts + 1)
                )
        except Exception as exc:  # the database may be what failed
            log.warning("relay.attempt_not_counted", error_type=type(exc).__name__)

    async def _post(self, events: list[dict[str, Any]]) -> set[str]:
        token = await self.tokens.get()
        response = await self.http.post(
            self.events_url,
            json={"events": events},
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code == 401:
            self.tokens.invalidate()
        if response.status_code != 200:
            raise RelayError(f"trail answered {response.status_code}")
        stored = response.json().get("stored")
        if not isinstance(stored, list):
            raise RelayError("trail answer names no stored events")
        return {str(s) for s in stored}

    async def drain(self) -> int:
        """Ship until the outbox is empty (or another replica holds it)."""
        total = 0
        while True:
            shipped = await self.ship_once()
            total += shipped
            if shipped < self.batch_size:
                return total

    def next_delay(self) -> float:
        if self.failures == 0:
            return self.interval_s
        ceiling = min(self.max_backoff_s, self.interval_s * 2 ** min(self.failures, 20))
        return ceiling * random.uniform(0.5, 1.0)

    async def run(self) -> None:
        while not self._stop.is_set():
            try:
                shipped = await self.drain()
            except Exception as exc:
                self.failures += 1
                log.warning(
                    "relay.failed",
                    outbox=self.table.fullname,
                    failures=self.failures,
                    error_type=type(exc).__name__,
                )
            else:
                if shipped:
                    log.info("relay.shipped", outbox=self.table.fullname, count=shipped)
                self.failures = 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.next_delay())

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name=f"relay:{self.table.fullname}")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=15)
            except TimeoutError:
                self._task.cancel()
            self._task = None


def build_relay(
    settings: RelaySettings, table: Table, engine: AsyncEngine, http: httpx.AsyncClient
) -> OutboxRelay:
    base = settings.gateway_url.rstrip("/")
    return OutboxRelay(
        engine=engine,
        table=table,
        http=http,
        events_url=base + EVENTS_PATH,
        tokens=TokenSource(
            http, base + TOKEN_PATH, settings.relay_client_id, settings.relay_client_secret
        ),
        batch_size=settings.relay_batch_size,
        interval_s=settings.relay_interval_s,
        max_backoff_s=settings.relay_max_backoff_s,
    )


def relay_hooks(
    settings: RelaySettings, table: Table, *, http_client: httpx.AsyncClient | None = None
) -> tuple[Hook, Hook]:
    """``(on_startup, on_shutdown)`` for ``build_app``: run the relay while the app runs.

    Does nothing unless ``relay_enabled``. The client is injectable (tests pass one over
    ``httpx.ASGITransport``); otherwise one is made here and closed on shutdown.
    """

    async def on_startup(app: FastAPI) -> None:
        if not settings.relay_enabled:
            return
        http = http_client or create_http_client(timeout_s=10.0, connect_timeout_s=2.0)
        relay = build_relay(settings, table, app.state.engine, http)
        app.state.outbox_relay = relay
        app.state.outbox_relay_http = http
        relay.start()
        log.info("relay.started", outbox=table.fullname)

    async def on_shutdown(app: FastAPI) -> None:
        relay: OutboxRelay | None = getattr(app.state, "outbox_relay", None)
        if relay is None:
            return
        await relay.stop()
        if http_client is None:
            await app.state.outbox_relay_http.aclose()
        app.state.outbox_relay = None
        log.info("relay.stopped", outbox=table.fullname)

    return on_startup, on_shutdown
