"""G2, G3, D3 and the edge: rate limits, body caps, CORS, security headers, no banner."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.config import GatewaySettings
from services.gateway.ratelimit.limiter import RateLimiter
from shared.problems import DomainError
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway

REDIS = ("127.0.0.1", 6379)


async def test_g3_rate_limit_per_client_with_retry_after(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(rate_limit_default="3/minute"))
    async with gw.http:
        first = await gw.bearer(("actions:read",))
        second = await gw.bearer(("actions:read",))
        for _ in range(3):
            assert (await gw.http.get("/v1/actions", headers=first)).status_code == 200
        r = await gw.http.get("/v1/actions", headers=first)
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/problem+json"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # another client is throttled apart
        assert (await gw.http.get("/v1/actions", headers=second)).status_code == 200
        assert len(gw.upstream.requests) == 4


async def test_g3_token_endpoint_is_limited_per_address(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(rate_limit_auth="2/minute"))
    async with gw.http:
        form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
        codes = [(await gw.http.post("/oauth/token", data=form)).status_code for _ in range(3)]
        assert codes == [401, 401, 429]
        r = await gw.http.post("/v1/auth/login", json={"username": "a", "password": "b"})
        assert r.status_code == 429


def _redis_answers() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.3) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis server on 127.0.0.1:6379")
async def test_g3_redis_limit_is_shared_by_two_gateways() -> None:
    settings = GatewaySettings(
        profile="test",
        rate_limit_redis_url="redis://127.0.0.1:6379/15",
        rate_limit_default="3/minute",
    )
    one, two = RateLimiter(settings), RateLimiter(settings)
    key = "client:" + uuid.uuid4().hex
    await one.check("default", key)
    await two.check("default", key)
    await one.check("default", key)
    with pytest.raises(DomainError) as refused:
        await two.check("default", key)
    assert refused.value.status == 429
    assert int(refused.value.headers["Retry-After"]) >= 1
    await one.check("default", "client:" + uuid.uuid4().hex)  # others are not affected


async def test_unreachable_redis_fails_open() -> None:
    settings = GatewaySettings(
        profile="test", rate_limit_redis_url="redis://127.0.0.1:1/0", rate_limit_default="1/minute"
    )
    limiter = RateLimiter(settings)
    for _ in range(3):
        await limiter.check("default", "k")


async def test_g2_body_cap_413_and_imports_larger(gateway_connection: AsyncConnection) -> None:
    gw = await make_gateway(
        gateway_connection,
        gateway_settings(body_limit_bytes=2048, import_body_limit_bytes=8192),
    )
    async with gw.http:
        headers = await gw.bearer(("actions:write", "kpis:import"))
        r = await gw.http.post("/v1/actions/1/updates", content=b"x" * 3000, headers=headers)
        assert r.status_code == 413
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["request_id"]

        async def chunks():  # type: ignore[no-untyped-def]
            for _ in range(3):
                yield b"y" * 1000

        r = await gw.http.post("/v1/actions/1/updates", content=chunks(), headers=headers)
        assert r.status_code == 413
        r = await gw.http.post("/v1/imports", content=b"z" * 5000, headers=headers)
        assert r.status_code == 200
        r = await gw.http.post("/v1/actions/1/updates", content=b"x" * 1000, headers=headers)
        assert r.status_code == 200
        assert gw.upstream.requests[-1].content == b"x" * 1000
        # an oversized body is refused before authentication is even looked at
        r = await gw.http.post("/oauth/token", content=b"a" * 4000)
        assert r.status_code == 413


def _full_submission() -> bytes:
    """A JSON submission of kpis's maximum rows, each as a partner sends it: a monthly
    percentage of a team, its numerator and denominator (no comment)."""
    from services.kpis.submissions.schemas import MAX_ROWS

    row = {
        "indicator": "ASSESS_45WD",
        "period": "2017/18-YTD-05",
        "org_unit": "WIRRAL-MASH-TEAM-01",
        "value": "87.5",
        "numerator": 123456,
        "denominator": 141092,
    }
    return json.dumps({"mode": "partial", "rows": [row] * MAX_ROWS}).encode()


async def test_g2_a_full_json_submission_passes_and_the_cap_is_per_route(
    gateway_connection: AsyncConnection,
) -> None:
    """Issue 18: the 1 MB cap held a JSON submission to about 9,000 rows while kpis takes
    50,000. ``POST /v1/submissions`` has its own cap (kpis's own, 20 MiB); other routes keep
    theirs; each 413 states its limit and the setting holding it."""
    from services.kpis.submissions.router import MAX_CSV_BYTES

    settings = gateway_settings()
    assert settings.submission_body_limit_bytes == MAX_CSV_BYTES  # kpis refuses past it anyway
    body = _full_submission()
    assert settings.body_limit_bytes < len(body) < settings.submission_body_limit_bytes
    gw = await make_gateway(gateway_connection, settings)
    async with gw.http:
        headers = await gw.bearer(("kpis:submit", "actions:write"))
        headers["content-type"] = "application/json"
        r = await gw.http.post("/v1/submissions", content=body, headers=headers)
        assert r.status_code == 200, r.text
        assert gw.upstream.requests[-1].content == body
        # the same body elsewhere: the default cap
        r = await gw.http.post("/v1/actions/1/updates", content=body, headers=headers)
        assert r.status_code == 413
        problem = r.json()
        assert problem["limit_bytes"] == settings.body_limit_bytes
        assert f"{settings.body_limit_bytes:,} bytes" in problem["detail"]
        assert "GATEWAY_BODY_LIMIT_BYTES" in problem["detail"]
        # past the submissions' own cap: 413 stating it, before anything is read
        over = settings.submission_body_limit_bytes + 1
        r = await gw.http.post(
            "/v1/submissions", headers=headers | {"content-length": str(over)}, content=b"{}"
        )
        assert r.status_code == 413
        problem = r.json()
        assert problem["limit_bytes"] == settings.submission_body_limit_bytes
        assert "GATEWAY_SUBMISSION_BODY_LIMIT_BYTES" in problem["detail"]
        assert problem["request_id"]


async def test_g2_the_submission_cap_is_a_setting_streamed_bodies_included(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(
        gateway_connection,
        gateway_settings(
            body_limit_bytes=2048, submission_body_limit_bytes=4096, import_body_limit_bytes=8192
        ),
    )
    async with gw.http:
        headers = await gw.bearer(("kpis:submit",))

        async def chunks(n: int):  # type: ignore[no-untyped-def]
            for _ in range(n):
                yield b"y" * 1000

        r = await gw.http.post("/v1/submissions", content=chunks(3), headers=headers)
        assert r.status_code == 200
        r = await gw.http.post("/v1/submissions", content=chunks(5), headers=headers)
        assert r.status_code == 413
        assert r.json()["limit_bytes"] == 4096
        # the cap is the collection's: a longer path keeps the default
        r = await gw.http.post("/v1/submissions/x", content=b"x" * 3000, headers=headers)
        assert r.status_code == 413
        assert r.json()["limit_bytes"] == 2048


async def test_cors_allows_only_the_listed_origins(gateway_connection: AsyncConnection) -> None:
    gw = await make_gateway(
        gateway_connection, gateway_settings(cors_origins=("https://app.example",))
    )
    async with gw.http:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        r = await gw.http.options(
            "/v1/actions", headers=preflight | {"Origin": "https://app.example"}
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-credentials" not in r.headers
        r = await gw.http.options(
            "/v1/actions", headers=preflight | {"Origin": "https://evil.example"}
        )
        assert r.status_code == 400
        assert "access-control-allow-origin" not in r.headers
        r = await gw.http.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers
        r = await gw.http.get("/healthz", headers={"Origin": "https://app.example"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"


async def test_d3_security_headers_and_no_banner(gw: Gateway) -> None:
    headers = await gw.bearer(("actions:read",))
    for r in (
        await gw.http.get("/v1/actions", headers=headers),
        await gw.http.get("/v1/actions"),
        await gw.http.post("/oauth/token", data={"grant_type": "password"}),
        await gw.http.get("/.well-known/jwks.json"),
    ):
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert "server" not in r.headers


async def test_access_denied_is_recorded(gw: Gateway) -> None:
    from sqlalchemy import text

    headers = await gw.bearer(("actions:read",), agency="police")
    r = await gw.http.post("/v1/actions", json={}, headers=headers)
    assert r.status_code == 403
    assert gw.upstream.requests == []
    events = (
        await gw.connection.execute(text("SELECT event_type, actor->>'agency' FROM gateway.outbox"))
    ).all()
    assert ("access.denied", "police") in [tuple(e) for e in events]


def test_production_settings_refuse_a_missing_internal_key() -> None:
    with pytest.raises(ValueError, match="INTERNAL_JWT_PRIVATE_KEY"):
        GatewaySettings(
            profile="production",
            database_url="postgresql+asyncpg://gateway_svc:s3cret-value@db/platform",  # type: ignore[arg-type]
            relay_client_secret="a-real-relay-secret-value",  # type: ignore[arg-type]
            key_wrapping_key="a-real-wrapping-key-of-32-characters-or-more",  # type: ignore[arg-type]
        )
