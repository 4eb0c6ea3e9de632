"""Limits that count the right things, refusals that survive a database outage, and OAuth
errors that carry the request id."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine

from tests.gateway.conftest import Gateway, gateway_settings, make_gateway


async def test_polling_an_import_is_not_uploading(gateway_connection: AsyncConnection) -> None:
    """Twenty status reads in a minute, then an upload is still accepted (limit 10/minute)."""
    gw = await make_gateway(gateway_connection, gateway_settings(rate_limit_import="10/minute"))
    async with gw.http:
        headers = await gw.bearer(("kpis:import",))
        job = str(uuid.uuid4())
        for i in range(20):
            path = f"/v1/imports/{job}" if i % 2 else "/v1/imports"
            assert (await gw.http.get(path, headers=headers)).status_code == 200
        r = await gw.http.post("/v1/imports", content=b"a,b\n1,2\n", headers=headers)
        assert r.status_code == 200
        # uploads themselves are still limited: ten in all, the eleventh refused
        codes = [
            (await gw.http.post("/v1/imports", content=b"x", headers=headers)).status_code
            for _ in range(10)
        ]
        assert codes == [200] * 9 + [429]
        assert len(gw.upstream.requests) == 20 + 10


async def test_a_refusal_is_answered_403_with_the_database_down(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(gateway_connection)
    async with gw.http:
        headers = await gw.bearer(("actions:read",), agency="police")
        assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
        # the database goes away: nothing listens where the gateway's sessions now connect
        dead = create_async_engine(
            "postgresql+asyncpg://gateway_svc:x@127.0.0.1:9/none", connect_args={"timeout": 2}
        )
        gw.app.state.sessionmaker = async_sessionmaker(bind=dead, expire_on_commit=False)
        try:
            r = await gw.http.post("/v1/actions", json={}, headers=headers)
        finally:
            await dead.dispose()
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["request_id"] == r.headers["x-request-id"]
    assert [q.method for q in gw.upstream.requests] == ["GET"]


async def test_oauth_errors_stay_rfc6749_and_carry_the_request_id(gw: Gateway) -> None:
    rid = str(uuid.uuid4())
    cases = [
        (
            {"grant_type": "password", "username": "a", "password": "b"},
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "no", "client_secret": "x"},
            401,
            "invalid_client",
        ),
    ]
    for form, status, error in cases:
        r = await gw.http.post("/oauth/token", data=form, headers={"X-Request-ID": rid})
        assert r.status_code == status
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert body["error"] == error
        assert isinstance(body["error_description"], str)
        assert body["request_id"] == rid
        assert r.headers["x-request-id"] == rid
    # a body that is not a form is an RFC 6749 error too, with the id the gateway gave it
    r = await gw.http.post("/oauth/token", json={"grant_type": "client_credentials"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert r.json()["request_id"] == r.headers["x-request-id"]


async def test_oauth_errors_from_the_edge_stay_rfc6749_with_the_request_id(
    gateway_connection: AsyncConnection,
) -> None:
    """The rate limit and the body cap refuse /oauth/token before its own code runs."""
    gw = await make_gateway(
        gateway_connection, gateway_settings(rate_limit_auth="1/minute", body_limit_bytes=2048)
    )
    form = {"grant_type": "client_credentials", "client_id": "no", "client_secret": "x"}
    async with gw.http:
        assert (await gw.http.post("/oauth/token", data=form)).status_code == 401
        limited = await gw.http.post("/oauth/token", data=form)
        too_big = await gw.http.post(
            "/oauth/token",
            content=b"a" * 4000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    for r, status, error in (
        (limited, 429, "temporarily_unavailable"),
        (too_big, 413, "invalid_request"),
    ):
        assert r.status_code == status
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        assert body["error"] == error
        assert isinstance(body["error_description"], str)
        assert body["error_description"]
        assert body["status"] == status
        assert body["request_id"] == r.headers["x-request-id"]
    assert int(limited.headers["retry-after"]) >= 1
