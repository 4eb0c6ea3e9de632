"""Gateway fixtures: the app on a rolled-back connection, a signing key, clients and tokens."""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.clients import service as clients
from services.gateway.clients.schemas import ClientCreate
from services.gateway.config import GatewaySettings
from services.gateway.keys.keyring import ensure_signing_key
from services.gateway.main import create_app
from services.gateway.routing.upstream import create_session
from services.gateway.seed import seed
from shared.identity import Caller
from tests.support.apps import bind_app, session_on
from tests.support.tokens import ISSUER, internal_keys

ADMIN = Caller(subject="test-admin", agency="council", roles=frozenset({"admin"}))


@dataclass
class Sent:
    """One request as it reached a service: method, URL (raw path as sent), headers, body."""

    service: str
    method: str
    url: httpx.URL
    headers: httpx.Headers
    content: bytes


class Upstream:
    """The four services, each a real HTTP server on a free local port (the gateway's
    production forwarder, aiohttp, talks to them): records what reached them and answers
    200 with the path."""

    def __init__(self) -> None:
        self.requests: list[Sent] = []
        self.urls: dict[str, str] = {}
        self._runners: list[web.AppRunner] = []

    async def start(self, services: Iterable[str]) -> None:
        for service in services:
            # no cap of aiohttp's own (1 MiB): the services' servers have none either
            app = web.Application(client_max_size=64 * 1024 * 1024)
            app.router.add_route("*", "/{tail:.*}", functools.partial(self._answer, service))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self._runners.append(runner)
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self.urls[service] = f"http://127.0.0.1:{port}"

    async def _answer(self, service: str, request: web.Request) -> web.Response:
        self.requests.append(
            Sent(
                service=service,
                method=request.method,
                url=httpx.URL(self.urls[service] + request.raw_path),
                headers=httpx.Headers(list(request.raw_headers)),
                content=await request.read(),
            )
        )
        return web.json_response({"path": request.path}, headers={"server": "upstream/1.0"})

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()


def _answer_200(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"path": request.url.path})


class _Http(httpx.AsyncClient):
    """The gateway's in-process client; closing it also stops what ``make_gateway`` started
    for it (the upstream servers, the forwarding session)."""

    def __init__(self, app: FastAPI, on_close: Callable[[], Awaitable[None]]) -> None:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        super().__init__(transport=transport, base_url="http://testserver")
        self._on_close = on_close

    async def __aexit__(self, *exc: Any) -> None:
        await super().__aexit__(*exc)
        await self._on_close()


def gateway_settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "profile": "test",
        "internal_jwt_private_key": SecretStr(internal_keys()[0]),
        "internal_jwt_issuer": ISSUER,
        "key_publish_delay_s": 0,
        "deny_cache_s": 0,
    }
    return GatewaySettings(**(values | overrides))


@dataclass
class Gateway:
    app: FastAPI
    http: httpx.AsyncClient
    connection: AsyncConnection
    upstream: Upstream = field(default_factory=Upstream)

    async def new_client(
        self, scopes: tuple[str, ...] = ("actions:read",), agency: str = "council", **kw: Any
    ) -> tuple[str, str]:
        async with session_on(self.connection) as session:
            made = await clients.create(
                session,
                ClientCreate(name=f"test {agency}", agency=agency, scopes=list(scopes), **kw),
                ADMIN,
                self.app.state.hasher,
            )
            await session.commit()
        return made.client_id, made.client_secret or ""

    async def token(self, client_id: str, secret: str, scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials", "client_id": client_id}
        form["client_secret"] = secret
        if scope:
            form["scope"] = scope
        r = await self.http.post("/oauth/token", data=form)
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    async def seed(self, data_dir: Path) -> dict[str, Any]:
        """The demo seed (``services/gateway/seed.py``) on this gateway's connection; the
        demo credentials written beside it, as the dev stack does."""
        async with session_on(self.connection) as session:
            demo = await seed(
                session,
                data_dir,
                "http://127.0.0.1:8000",
                self.app.state.keyring.wrapper,
                self.app.state.hasher,
            )
            await session.commit()
        (data_dir / "demo-credentials.json").write_text(json.dumps(demo))
        return demo

    async def bearer(
        self, scopes: tuple[str, ...] = ("actions:read",), agency: str = "council"
    ) -> dict[str, str]:
        client_id, secret = await self.new_client(scopes, agency)
        return {"Authorization": "Bearer " + await self.token(client_id, secret)}


async def make_gateway(
    connection: AsyncConnection, settings: GatewaySettings | None = None
) -> Gateway:
    """The gateway on ``connection``, forwarding (aiohttp, as in production) to recording
    servers for every service whose URL ``settings`` leave at the default."""
    settings = settings or gateway_settings()
    upstream = Upstream()
    given = settings.model_fields_set
    await upstream.start(s for s in settings.upstreams() if f"{s}_url" not in given)
    settings = settings.model_copy(update={f"{s}_url": u for s, u in upstream.urls.items()})
    app = create_app(settings)
    bind_app(app, connection, audience="gateway")
    # health probes, service documents, key sets: httpx, answered here without a server
    app.state.upstream_client = httpx.AsyncClient(transport=httpx.MockTransport(_answer_200))
    session = app.state.upstream_session = create_session(
        settings.upstream_timeout_s, settings.upstream_connect_timeout_s
    )

    async def close() -> None:
        await session.close()
        await upstream.stop()

    async with session_on(connection) as db:
        await ensure_signing_key(db, app.state.keyring.wrapper)
        await db.commit()
    return Gateway(app=app, http=_Http(app, close), connection=connection, upstream=upstream)


@pytest.fixture
async def gw(gateway_connection: AsyncConnection) -> AsyncIterator[Gateway]:
    gw = await make_gateway(gateway_connection)
    async with gw.http:
        yield gw
