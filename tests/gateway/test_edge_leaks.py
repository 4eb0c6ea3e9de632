"""Issue 18 item 3: no leaks at the edge.

A trailing slash answered ``307`` with the kpis service's internal address
(``location: http://127.0.0.1:8302/v1/imports``): services and the gateway no longer redirect
(a wrong spelling is a 404 problem), and a ``Location`` an upstream sends on its own address
is answered at the gateway's (a relative reference). The gateway's
``/metrics`` needs the metrics token (``GATEWAY_METRICS_TOKEN``) as a bearer token.
"""

from __future__ import annotations

import httpx
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.routing.upstream import create_session
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway
from tests.gateway.test_hot_path import real_upstream

INTERNAL = "http://127.0.0.1:8302"


async def test_a_service_does_not_redirect_a_trailing_slash() -> None:
    app = kpis_app(KpisSettings(profile="test"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=INTERNAL) as client:
        r = await client.get("/v1/imports/")
    assert r.status_code == 404
    assert "location" not in r.headers
    assert r.headers["content-type"] == "application/problem+json"
    assert "8302" not in r.text


async def test_the_gateway_does_not_redirect_a_trailing_slash_on_its_own_routes(
    gw: Gateway,
) -> None:
    headers = await gw.bearer(("admin",))
    r = await gw.http.get("/v1/clients/", headers=headers | {"host": "gateway.internal:8000"})
    assert r.status_code == 404
    assert "location" not in r.headers


async def test_an_upstream_location_is_answered_at_the_gateways_address(
    gateway_connection: AsyncConnection,
) -> None:
    """An upstream's own address never reaches the caller; the query stays."""
    calls: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        calls.append(request.path)
        own = f"http://{request.host}"
        return web.Response(status=307, headers={"Location": own + "/v1/imports?limit=5"})

    async with real_upstream(redirect) as (port, _):
        gw = await make_gateway(
            gateway_connection, gateway_settings(kpis_url=f"http://127.0.0.1:{port}")
        )
        async with gw.http:
            headers = await gw.bearer(("kpis:import",))
            r = await gw.http.get("/v1/imports/", headers=headers)
    assert calls == ["/v1/imports/"]
    assert r.status_code == 307
    assert r.headers["location"] == "/v1/imports?limit=5"


async def test_an_upstream_location_is_answered_at_the_gateways_address_aiohttp(
    gateway_connection: AsyncConnection,
) -> None:
    """The production forwarder (aiohttp) against a real HTTP server redirecting on its own
    address, as a service's trailing-slash redirect did."""

    async def handler(request: web.Request) -> web.Response:
        own = f"http://{request.host}"
        return web.Response(status=307, headers={"Location": own + "/v1/imports"})

    upstream = web.Application()
    upstream.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(upstream)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    gw = await make_gateway(
        gateway_connection, gateway_settings(kpis_url=f"http://127.0.0.1:{port}")
    )
    gw.app.state.upstream_session = create_session(2.0, 0.5)
    try:
        async with gw.http:
            headers = await gw.bearer(("kpis:import",))
            r = await gw.http.get("/v1/imports/", headers=headers)
        assert r.status_code == 307
        assert r.headers["location"] == "/v1/imports"
    finally:
        await gw.app.state.upstream_session.close()
        await runner.cleanup()


async def test_an_upstream_location_elsewhere_is_passed_on(
    gateway_connection: AsyncConnection,
) -> None:
    """Only the upstream's own address is rewritten; a relative one is kept as it is."""

    async def accepted(request: web.Request) -> web.Response:
        return web.json_response({}, status=202, headers={"Location": "/v1/imports/abc"})

    async with real_upstream(accepted) as (port, _):
        gw = await make_gateway(
            gateway_connection, gateway_settings(kpis_url=f"http://127.0.0.1:{port}")
        )
        async with gw.http:
            headers = await gw.bearer(("kpis:import",))
            r = await gw.http.post("/v1/imports", headers=headers, content=b"x")
    assert r.headers["location"] == "/v1/imports/abc"


async def test_gateway_metrics_need_the_metrics_token(gateway_connection: AsyncConnection) -> None:
    token = "m" * 40
    gw = await make_gateway(gateway_connection, gateway_settings(metrics_token=SecretStr(token)))
    async with gw.http:
        anonymous = await gw.http.get("/metrics")
        wrong = await gw.http.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
        access = await gw.http.get("/metrics", headers=await gw.bearer(("admin",)))
        scraped = await gw.http.get("/metrics", headers={"Authorization": "Bearer " + token})
    for refused in (anonymous, wrong, access):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"].lower().startswith("bearer")
        assert "http_requests" not in refused.text
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")


async def test_gateway_metrics_are_refused_when_no_token_is_configured(gw: Gateway) -> None:
    assert (await gw.http.get("/metrics")).status_code == 401
    assert (await gw.http.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 401
