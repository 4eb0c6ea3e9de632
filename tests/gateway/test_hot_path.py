"""The hot path (issue 20): a forwarded request is answered by one layer over the gateway's
aiohttp keep-alive pool, with everything the shared stack gave it (request id, security headers,
metrics, refusals logged) and nothing else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.routing.upstream import create_session
from shared.logs import configure_logging
from shared.web import SECURITY_HEADERS
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway

BIG = 3_000_000  # above the pool's buffering limit: streamed


@asynccontextmanager
async def real_upstream(
    handler: Any,
) -> AsyncIterator[tuple[int, list[tuple[str, int]]]]:
    """An HTTP server on a free port; yields (port, the client address of each request)."""
    peers: list[tuple[str, int]] = []

    async def recording(request: web.Request) -> web.StreamResponse:
        peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        return await handler(request)  # type: ignore[no-any-return]

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recording)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1], peers  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def gateway_to(connection: AsyncConnection, port: int, **kw: Any) -> AsyncIterator[Gateway]:
    gw = await make_gateway(
        connection, gateway_settings(actions_url=f"http://127.0.0.1:{port}", **kw)
    )
    gw.app.state.upstream_session = create_session(0.5, 0.5)
    try:
        async with gw.http:
            yield gw
    finally:
        await gw.app.state.upstream_session.close()


class Sentinel:
    """A layer of the shared stack that counts the requests passing it."""

    seen: list[str] = []

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            Sentinel.seen.append(scope["path"])
        await self.app(scope, receive, send)


async def test_forwarded_requests_skip_the_shared_stack_yet_carry_what_it_adds(
    gw: Gateway,
) -> None:
    Sentinel.seen = []
    gw.app.user_middleware.insert(0, Middleware(Sentinel))
    headers = await gw.bearer(("actions:read",))
    Sentinel.seen.clear()
    r = await gw.http.get("/v1/actions?x=1", headers=headers)
    assert r.status_code == 200
    assert Sentinel.seen == []  # one layer answered it
    for name, value in SECURITY_HEADERS:
        assert r.headers[name.decode()] == value.decode()
    assert r.headers["x-request-id"] == gw.upstream.requests[0].headers["x-request-id"]
    assert "server" not in r.headers
    refused = await gw.http.get("/v1/audits", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["request_id"] == refused.headers["x-request-id"]
    assert (await gw.http.get("/healthz")).status_code == 200
    assert Sentinel.seen == ["/healthz"]
    token = "m" * 40  # /metrics needs the metrics token (issue 18)
    settings = gw.app.state.settings
    gw.app.state.settings = settings.model_copy(update={"metrics_token": SecretStr(token)})
    scraped = await gw.http.get("/metrics", headers={"Authorization": "Bearer " + token})
    metrics = scraped.text
    for status in ("200", "403"):
        assert (
            'http_requests_total{method="GET",route="/v1/{path:path}",service="gateway",'
            f'status="{status}"}} 1.0'
        ) in metrics


async def test_successful_forwards_are_logged_by_the_service_refusals_here(
    capsys: pytest.CaptureFixture[str], gw: Gateway
) -> None:
    headers = await gw.bearer(("actions:read",))
    configure_logging("INFO", json=True, service="gateway")  # onto the captured stdout
    capsys.readouterr()
    assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
    assert (await gw.http.get("/v1/audits", headers=headers)).status_code == 403
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("event") == "http.request"]
    assert [(x["route"], x["status"]) for x in access] == [("/v1/{path:path}", 403)]
    assert access[0]["request_id"]


async def test_every_forward_is_logged_when_asked(
    gateway_connection: AsyncConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(access_log_forwarded="all"))
    async with gw.http:
        headers = await gw.bearer(("actions:read",))
        configure_logging("INFO", json=True, service="gateway")
        capsys.readouterr()
        assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert [x["status"] for x in lines if x.get("event") == "http.request"] == [200]


async def test_the_pool_keeps_one_connection_and_forwards_headers_as_sent(
    gateway_connection: AsyncConnection,
) -> None:
    seen: list[list[str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.getall("x-trace", []))
        return web.json_response({"n": len(seen)})

    async with (
        real_upstream(handler) as (port, peers),
        gateway_to(gateway_connection, port) as gw,
    ):
        headers = await gw.bearer(("actions:read",))
        for n in (1, 2, 3):
            r = await gw.http.get(
                "/v1/actions", headers=[*headers.items(), ("X-Trace", "a"), ("X-Trace", "b")]
            )
            assert r.json() == {"n": n}
    assert len(set(peers)) == 1  # one keep-alive connection for the three
    assert seen == [["a", "b"]] * 3  # repeated headers kept, in order


async def test_large_answers_stream_through_whole(gateway_connection: AsyncConnection) -> None:
    payload = bytes(range(256)) * (BIG // 256)

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(payload), 65536):
            await response.write(payload[start : start + 65536])
        await response.write_eof()
        return response

    async with real_upstream(handler) as (port, _), gateway_to(gateway_connection, port) as gw:
        headers = await gw.bearer(("actions:read",))
        r = await gw.http.get("/v1/actions/export", headers=headers)
        assert r.status_code == 200
        assert r.content == payload
        assert r.headers["x-content-type-options"] == "nosniff"


async def test_a_slow_upstream_is_504_and_a_closed_idle_connection_is_retried(
    gateway_connection: AsyncConnection,
) -> None:
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.path)
        if request.path.endswith("/slow"):
            await asyncio.sleep(2)
        if len(calls) == 2:
            # the server drops the idle connection behind the pool's back: the request sent
            # on the reused connection gets no answer at all
            assert request.transport is not None
            request.transport.abort()
            await asyncio.sleep(0.05)
        return web.json_response({}, headers={"connection": "keep-alive"})

    async with real_upstream(handler) as (port, peers), gateway_to(gateway_connection, port) as gw:
        headers = await gw.bearer(("actions:read",))
        assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
        assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
        assert len(calls) == 3  # sent again, once, on a fresh connection
        assert peers[0] == peers[1] != peers[2]
        r = await gw.http.get("/v1/actions/slow", headers=headers)
        assert r.status_code == 504
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["service"] == "actions"


async def test_memory_limits_count_per_window_and_forget_ended_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.gateway.config import GatewaySettings
    from services.gateway.ratelimit import limiter as module
    from shared.problems import DomainError

    now = [1_000_000.0]
    monkeypatch.setattr(module.time, "time", lambda: now[0])
    limiter = module.RateLimiter(GatewaySettings(profile="test", rate_limit_default="3/minute"))
    assert limiter.local is not None
    for _ in range(3):
        await limiter.check("default", "client:a")
    now[0] += 20
    with pytest.raises(DomainError) as refused:
        await limiter.check("default", "client:a")
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "40"  # the window opened at the first hit
    await limiter.check("default", "client:b")  # others are not affected
    await limiter.check("write", "client:a")  # nor other route classes
    now[0] += 41
    await limiter.check("default", "client:a")  # a new window
    limiter.local.SWEEP_EVERY = 1
    now[0] += 61
    await limiter.check("default", "client:c")
    assert list(limiter.local._windows) == [("default", "client:c")]


async def test_head_is_forwarded_by_the_hot_path_with_the_length_a_get_has(gw: Gateway) -> None:
    """HEAD took the full stack and a second forwarder once; now the hot path forwards it."""
    headers = await gw.bearer(("actions:read",))
    got = await gw.http.get("/v1/actions", headers=headers)
    head = await gw.http.head("/v1/actions", headers=headers)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["x-request-id"]
    assert [r.method for r in gw.upstream.requests] == ["GET", "HEAD"]
