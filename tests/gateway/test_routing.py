"""The gateway's route table and forwarding: authenticated, policy-checked, headers scrubbed."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import jwt
import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.routing.table import ROUTE_TABLE, owner_of
from shared.identity import InternalTokenVerifier
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway
from tests.gateway.test_hot_path import real_upstream
from tests.support.tokens import ISSUER, internal_keys

ISSUE_PATHS = {
    "actions": [
        "plans",
        "themes",
        "success-criteria",
        "actions",
        "sprints",
        "recommendations",
        "risks",
        "board-summary",
    ],
    "kpis": [
        "indicators",
        "org-units",
        "submissions",
        "values",
        "series",
        "dashboard",
        "releases",
        "targets",
        "benchmarks",
        "imports",
    ],
    "audit": ["audit-tools", "audit-programmes", "audits", "findings", "audit-statistics", "trail"],
    "board": ["meetings", "meeting-types"],
}


def test_each_resource_has_exactly_one_owner() -> None:
    for service, resources in ISSUE_PATHS.items():
        for resource in resources:
            assert ROUTE_TABLE[resource] == service
    assert owner_of("/v1/actions/1A1/updates") == "actions"
    assert owner_of("/v2/actions") is None
    assert owner_of("/v1/unknown") is None


async def test_forwarding_needs_a_token(gw: Gateway) -> None:
    r = await gw.http.get("/v1/actions")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert gw.upstream.requests == []


async def test_forwarding_is_refused_without_an_internal_key(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(internal_jwt_private_key=None))
    async with gw.http:
        headers = await gw.bearer(("actions:read",))
        r = await gw.http.get("/v1/actions", headers=headers)
    assert r.status_code == 503
    assert r.json()["type"].endswith("forwarding-disabled")
    assert gw.upstream.requests == []


async def test_g1_forwarding_strips_caller_identity_and_sends_a_gateway_token(
    gw: Gateway,
) -> None:
    headers = await gw.bearer(("kpis:read",), agency="police")
    rid = str(uuid.uuid4())
    forged_internal = jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256")
    r = await gw.http.get(
        "/v1/indicators?code=X",
        headers=headers
        | {
            "X-Request-ID": rid,
            "X-Agency": "council",
            "X-Roles": "admin",
            "X-Forwarded-For": "6.6.6.6",
            "Forwarded": "for=6.6.6.6",
            "X-Internal-Token": forged_internal,
            "X-Internal-Caller": "council-admin",
            "Cookie": "session=abc",
        },
    )
    assert r.status_code == 200
    assert "server" not in r.headers
    sent = gw.upstream.requests[0]
    assert sent.service == "kpis"
    assert str(sent.url).startswith(gw.upstream.urls["kpis"] + "/v1/indicators")
    assert sent.url.params["code"] == "X"
    assert sent.headers["x-request-id"] == rid
    for header in ("x-agency", "x-roles", "x-internal-token", "x-internal-caller", "cookie"):
        assert header not in sent.headers
    assert "forwarded" not in sent.headers
    assert sent.headers["x-forwarded-for"] != "6.6.6.6"
    # the only credential upstream is an internal token the service accepts, naming the caller
    verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="kpis")
    caller = verifier.verify(sent.headers["authorization"].removeprefix("Bearer "))
    assert caller.agency == "police"
    assert caller.kind == "client"
    assert caller.scopes == frozenset({"kpis:read"})
    assert jwt.get_unverified_header(sent.headers["authorization"][7:])["typ"] == "int+jwt"
    with pytest.raises(Exception, match="invalid internal token"):
        InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="actions").verify(
            sent.headers["authorization"][7:]
        )


async def test_bad_request_id_is_replaced(gw: Gateway) -> None:
    headers = await gw.bearer(("actions:read",))
    r = await gw.http.get("/v1/actions", headers=headers | {"X-Request-ID": "x\r\nInjected: 1"})
    sent = gw.upstream.requests[0]
    assert uuid.UUID(sent.headers["x-request-id"])
    assert r.headers["x-request-id"] == sent.headers["x-request-id"]
    assert "injected" not in sent.headers


async def test_internal_token_is_reused_per_caller_and_audience(gw: Gateway) -> None:
    headers = await gw.bearer(("actions:read", "kpis:read"))
    for path in ("/v1/actions", "/v1/actions", "/v1/indicators"):
        assert (await gw.http.get(path, headers=headers)).status_code == 200
    first, second, third = (r.headers["authorization"] for r in gw.upstream.requests)
    assert first == second
    assert third != first


NOBODY = "http://127.0.0.1:9"  # nothing listens there: the connection is refused


async def test_unreachable_or_slow_upstream_is_a_problem(
    gateway_connection: AsyncConnection,
) -> None:
    answer = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await answer.wait()  # past the gateway's read timeout
        return web.json_response({})

    async with real_upstream(slow) as (port, _):
        for url, status in ((NOBODY, 503), (f"http://127.0.0.1:{port}", 504)):
            gw = await make_gateway(
                gateway_connection, gateway_settings(audit_url=url, upstream_timeout_s=0.2)
            )
            async with gw.http:
                headers = await gw.bearer(("audit:read",))
                r = await gw.http.get("/v1/audits", headers=headers)
            assert r.status_code == status
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"]
            assert r.json()["service"] == "audit"
        answer.set()


@contextlib.asynccontextmanager
async def hanging_up(calls: list[int]) -> AsyncIterator[str]:
    """A server that takes each connection and closes it unanswered; counts connections."""

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        calls.append(1)
        writer.close()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def test_breaker_opens_after_repeated_failures_and_fails_fast(
    gateway_connection: AsyncConnection,
) -> None:
    calls: list[int] = []
    async with hanging_up(calls) as audit:
        gw = await make_gateway(gateway_connection, gateway_settings(audit_url=audit))
        async with gw.http:
            headers = await gw.bearer(("audit:read", "actions:read"))
            for _ in range(5):
                assert (await gw.http.get("/v1/audits", headers=headers)).status_code == 503
            before = len(calls)
            r = await gw.http.get("/v1/audits", headers=headers)
            assert r.status_code == 503
            assert len(calls) == before  # refused without calling
            assert int(r.headers["retry-after"]) >= 1
            assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200


class _RefusingEveryOther(aiohttp.TCPConnector):
    """Every odd connection refused, as by a service restarting (no keep-alive: each request
    opens one)."""

    def __init__(self, calls: list[str]) -> None:
        super().__init__(force_close=True)
        self.calls = calls

    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:  # noqa: ASYNC109 (aiohttp's signature)
        self.calls.append(req.method)
        if len(self.calls) % 2 == 1:
            raise aiohttp.ClientConnectorError(req.connection_key, OSError(111, "refused"))
        return await super()._create_connection(req, traces, timeout)


async def test_only_idempotent_methods_are_retried(gw: Gateway) -> None:
    headers = await gw.bearer(("audit:write",))
    calls: list[str] = []
    ours = gw.app.state.upstream_session
    gw.app.state.upstream_session = aiohttp.ClientSession(connector=_RefusingEveryOther(calls))
    try:
        assert (await gw.http.get("/v1/audits", headers=headers)).status_code == 200
        assert calls == ["GET", "GET"]
        calls.clear()
        assert (await gw.http.post("/v1/audits", headers=headers, json={})).status_code == 503
        assert calls == ["POST"]
    finally:
        await gw.app.state.upstream_session.close()
        gw.app.state.upstream_session = ours


async def test_unknown_resource_is_404_for_a_caller(gw: Gateway) -> None:
    headers = await gw.bearer(("actions:read",))
    r = await gw.http.get("/v1/nothing-here", headers=headers)
    assert r.status_code == 404


async def test_gateway_health_reports_each_service(gw: Gateway) -> None:
    def health(request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(gw.upstream.urls["audit"]):
            raise httpx.ConnectError("down")
        return httpx.Response(200, json={"status": "ready"})

    gw.app.state.upstream_client = httpx.AsyncClient(transport=httpx.MockTransport(health))
    body = (await gw.http.get("/healthz")).json()
    assert body["services"] == {
        "actions": {"status": "up"},
        "kpis": {"status": "up"},
        "audit": {"status": "down", "error": "ConnectError"},
        "board": {"status": "up"},
    }
    assert body["status"] == "degraded"


async def test_g1_the_aiohttp_hot_path_against_a_real_upstream(
    gateway_connection: AsyncConnection,
) -> None:
    """The production forwarding path (aiohttp session) against a real HTTP server."""
    from aiohttp import web

    from services.gateway.routing.upstream import create_session

    seen: list[dict[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(dict(request.headers) | {"_query": request.query_string})
        body = await request.read()
        response = web.json_response({"path": request.path, "len": len(body)}, status=201)
        response.headers.add("Link", "<a>; rel=one")
        response.headers.add("Link", "<b>; rel=two")
        response.headers["Server"] = "upstream/1.0"
        return response

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(upstream)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    gw = await make_gateway(
        gateway_connection,
        gateway_settings(
            actions_url=f"http://127.0.0.1:{port}",
            audit_url="http://127.0.0.1:9",  # nothing listens there
        ),
    )
    gw.app.state.upstream_session = create_session(2.0, 0.5)
    try:
        async with gw.http:
            headers = await gw.bearer(("actions:write", "audit:read"))
            r = await gw.http.post(
                "/v1/actions/1A1/updates?x=1&y=2",
                json={"note": "n"},
                headers=headers
                | {"X-Agency": "police", "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil"},
            )
            assert r.status_code == 201
            assert r.json()["path"] == "/v1/actions/1A1/updates"
            assert r.headers.get_list("link") == ["<a>; rel=one", "<b>; rel=two"]
            assert "server" not in r.headers
            sent = {k.lower(): v for k, v in seen[0].items()}
            assert sent["_query"] == "x=1&y=2"
            assert "x-agency" not in sent
            assert "x-forwarded-host" not in sent
            assert sent["x-forwarded-for"] != "6.6.6.6"
            assert sent["authorization"].startswith("Bearer ")
            verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="actions")
            assert verifier.verify(sent["authorization"][7:]).agency == "council"
            r = await gw.http.get("/v1/audits", headers=headers)
            assert r.status_code == 503
            assert r.headers["retry-after"]
    finally:
        await gw.app.state.upstream_session.close()
        await runner.cleanup()
