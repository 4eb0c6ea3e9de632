"""G6: the gateway decides on exactly the path it forwards.

Every route of the routing table, spelt every way that could make the judged path differ
from the one a service acts on (dot segments, encoded dots, slashes, backslashes or percent
signs, ``//``), is refused with a 400 problem before the policy, the limits and the body cap,
and reaches no upstream; a path with one spelling reaches its upstream byte for byte.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.routing.table import ROUTE_TABLE
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway
from tests.gateway.raw import send_raw

READ_ALL = ("actions:read", "kpis:import", "audit:read", "trail:read", "board:read")
#: Spellings of "<resource>, then somewhere else" that a normalising client resolves.
SPELLINGS = (
    "/v1/{r}/../{o}",
    "/v1/{r}/%2e%2e/{o}",
    "/v1/{r}/%2E%2E/{o}",
    "/v1/{r}/.%2e/{o}",
    "/v1/{r}/%2e./{o}",
    "/v1/{r}/1/%2e%2e%2f%2e%2e%2f{o}",
    "/v1/{r}%2f..%2f{o}",
    "/v1/{r}/x%2F{o}",
    "/v1/{r}/..%5c{o}",
    "/v1/{r}/..\\{o}",
    "/v1/{r}/%252e%252e/{o}",
    "/v1/{r}//{o}",
    "/v1//{r}",
    "/v1/{r}/./{o}",
    "/v1/./{r}",
    "/v1/{r}/..",
    "/v1/{r}/.",
)
#: Paths with one spelling each: reach the upstream exactly as sent.
ONE_SPELLING = (
    "/v1/{r}",
    "/v1/{r}/",
    "/v1/{r}/A1",
    "/v1/{r}/a%20b",
    "/v1/{r}/a%3Fb",
    "/v1/{r}/a%23b",
    "/v1/{r}/x;y=1",
    "/v1/{r}/%41B",
    "/v1/{r}/..x/x..",
)


def _other(resource: str) -> str:
    return "imports" if resource != "imports" else "org-units"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_g6_every_route_spelt_with_dots_or_encoded_slashes_is_refused(
    gateway_connection: AsyncConnection, method: str
) -> None:
    gw = await make_gateway(
        gateway_connection, gateway_settings(rate_limit_default="100000/minute")
    )
    async with gw.http:
        admin = await gw.bearer(("admin", "actions:write", "kpis:approve", "audit:write"))
        for resource in ROUTE_TABLE:
            for spelling in SPELLINGS:
                path = spelling.format(r=resource, o=_other(resource))
                r = await send_raw(gw.app, method, path, admin, body=b"{}")
                assert r.status == 400, (method, path, r.status)
                assert r.headers["content-type"] == "application/problem+json"
                problem = r.json()
                assert problem["type"].endswith("path-not-canonical")
                assert problem["request_id"] == r.headers["x-request-id"]
        assert gw.upstream.requests == []


async def test_g6_a_path_with_one_spelling_reaches_the_upstream_byte_for_byte(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(
        gateway_connection, gateway_settings(rate_limit_default="100000/minute")
    )
    async with gw.http:
        reader = await gw.bearer(READ_ALL)
        for resource in ROUTE_TABLE:
            for spelling in ONE_SPELLING:
                path = spelling.format(r=resource)
                r = await send_raw(gw.app, "GET", path + "?q=1", reader)
                assert r.status == 200, (path, r.status)
                sent = gw.upstream.requests[-1]
                # the bytes judged are the bytes sent; decoded, the path the service acts on
                assert sent.url.raw_path.decode() == path + "?q=1"
                assert unquote(sent.url.raw_path.decode().split("?")[0]) == unquote(path)
                assert sent.url.query == b"q=1"


async def test_g6_the_attacks_of_issue_15_are_refused(gw: Gateway) -> None:
    # a partner client reading the plan only: imports (kpis:read) are not for it
    viewer = await gw.bearer(("actions:read",))
    planner = await gw.bearer(("actions:write", "kpis:submit"))
    importer = await gw.bearer(("kpis:import", "actions:write"))
    assert (await send_raw(gw.app, "GET", "/v1/imports", viewer)).status == 403
    assert (await send_raw(gw.app, "POST", "/v1/org-units", planner, body=b"{}")).status == 403
    attacks = [
        ("GET", "/v1/values/../imports", viewer, b""),
        ("GET", "/v1/values/%2e%2e/imports/1/values", viewer, b""),
        ("POST", "/v1/values/../org-units", planner, b"{}"),
        ("POST", "/v1/values/%2e%2e/org-units", planner, b"{}"),
        # the import limit and the 1 MB cap, escaped through the other resource
        ("POST", "/v1/values/../imports", importer, b"x"),
        ("POST", "/v1/imports/../actions", importer, b"x" * 1_500_000),
        ("POST", "/v1/imports/%2e%2e/actions", importer, b"x" * 1_500_000),
    ]
    for method, path, headers, body in attacks:
        r = await send_raw(gw.app, method, path, headers, body=body)
        assert r.status == 400, (method, path, r.status)
    # through an ordinary client too (it resolves a literal "..", not an encoded one)
    r = await gw.http.get("/v1/values/%2e%2e/imports/1/values", headers=viewer)
    assert r.status_code == 400
    assert gw.upstream.requests == []


async def test_g6_the_gateways_own_routes_are_refused_with_dots_too(gw: Gateway) -> None:
    r = await send_raw(gw.app, "POST", "/v1/auth/../auth/login", body=b"{}")
    assert r.status == 400
    r = await send_raw(gw.app, "GET", "/v1/users/%2e%2e/me")
    assert r.status == 400


async def test_g6_the_aiohttp_hot_path_forwards_the_judged_path_unchanged(
    gateway_connection: AsyncConnection,
) -> None:
    """The production forwarder (aiohttp, yarl) neither requotes nor normalises the path."""
    from aiohttp import web

    from services.gateway.routing.upstream import create_session

    seen: list[tuple[str, str]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.raw_path, request.path))
        return web.json_response({})

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
            reader = await gw.bearer(("kpis:read",))
            for spelling in ONE_SPELLING:
                path = spelling.format(r="values")
                r = await send_raw(gw.app, "GET", path + "?q=%2e", reader)
                assert r.status == 200, (path, r.status)
                raw, decoded = seen[-1]
                assert raw == path + "?q=%2e"
                assert decoded == unquote(path)
            for spelling in SPELLINGS:
                path = spelling.format(r="values", o="imports")
                assert (await send_raw(gw.app, "GET", path, reader)).status == 400
            assert len(seen) == len(ONE_SPELLING)
    finally:
        await gw.app.state.upstream_session.close()
        await runner.cleanup()
