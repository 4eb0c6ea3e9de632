"""Gateway fixtures: the app on a rolled-back connection, a signing key, clients and tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.clients import service as clients
from services.gateway.clients.schemas import ClientCreate
from services.gateway.config import GatewaySettings
from services.gateway.keys.keyring import ensure_signing_key
from services.gateway.main import create_app
from shared.identity import Caller
from tests.support.apps import bind_app, client_for, session_on
from tests.support.tokens import ISSUER, internal_keys

ADMIN = Caller(subject="test-admin", agency="council", roles=frozenset({"admin"}))


class _Body(httpx.AsyncByteStream):
    """A body still to be streamed, as a real upstream's is (httpx reads ``json=`` at once,
    and the gateway's streaming forwarder could then not stream it)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.content


class Upstream:
    """Records what reached the services and answers 200 with the path."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = json.dumps({"path": request.url.path}).encode()
        return httpx.Response(
            200,
            stream=_Body(body),
            headers={"server": "upstream/1.0", "content-type": "application/json"},
        )


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

    async def bearer(
        self, scopes: tuple[str, ...] = ("actions:read",), agency: str = "council"
    ) -> dict[str, str]:
        client_id, secret = await self.new_client(scopes, agency)
        return {"Authorization": "Bearer " + await self.token(client_id, secret)}


async def make_gateway(
    connection: AsyncConnection, settings: GatewaySettings | None = None
) -> Gateway:
    app = create_app(settings or gateway_settings())
    bind_app(app, connection, audience="gateway")
    upstream = Upstream()
    app.state.upstream_client = httpx.AsyncClient(transport=httpx.MockTransport(upstream))
    async with session_on(connection) as session:
        await ensure_signing_key(session, app.state.keyring.wrapper)
        await session.commit()
    return Gateway(app=app, http=client_for(app), connection=connection, upstream=upstream)


@pytest.fixture
async def gw(gateway_connection: AsyncConnection) -> AsyncIterator[Gateway]:
    gw = await make_gateway(gateway_connection)
    async with gw.http:
        yield gw
