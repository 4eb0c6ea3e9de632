"""A8: access tokens die with their session — at logout, at a password change and when a
stolen refresh token comes back — not up to ten minutes later."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.gateway.conftest import Gateway, gateway_settings, make_gateway

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "a much longer passphrase for them"


async def _user(gw: Gateway, username: str) -> None:
    admin = await gw.bearer(("admin",))
    r = await gw.http.post(
        "/v1/users",
        json={
            "username": username,
            "agency": "council",
            "roles": ["viewer"],
            "password": PASSWORD,
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text


async def _session(gw: Gateway, username: str, password: str = PASSWORD) -> dict[str, Any]:
    r = await gw.http.post("/v1/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _me(gw: Gateway, tokens: dict[str, Any]) -> int:
    return (await gw.http.get("/v1/me", headers=_bearer(tokens))).status_code


async def _refresh(gw: Gateway, tokens: dict[str, Any]) -> Any:
    return await gw.http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})


async def _logout_ends_only_that_session(gw: Gateway) -> None:
    await _user(gw, "lou.out")
    first = await _session(gw, "lou.out")
    rotated = (await _refresh(gw, first)).json()  # the same session, a second access token
    other = await _session(gw, "lou.out")  # another device
    assert await _me(gw, first) == await _me(gw, rotated) == 200
    r = await gw.http.post("/v1/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert r.status_code == 204
    assert await _me(gw, first) == 401
    assert await _me(gw, rotated) == 401
    assert (await _refresh(gw, rotated)).status_code == 401
    assert await _me(gw, other) == 200


async def test_a8_logout_stops_the_sessions_access_tokens_at_once(gw: Gateway) -> None:
    await _logout_ends_only_that_session(gw)
    # recorded, so every gateway instance refuses them (until they would have expired)
    denied = await gw.connection.scalar(
        text("SELECT count(*) FROM gateway.deny_entry WHERE kind = 'jti' AND expires_at > now()")
    )
    assert denied == 2


async def test_a8_logout_is_at_once_even_where_the_deny_list_is_cached(
    gateway_connection: AsyncConnection,
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(deny_cache_s=3600))
    async with gw.http:
        await _logout_ends_only_that_session(gw)


async def test_a8_a_password_change_stops_every_old_access_token_at_once(gw: Gateway) -> None:
    await _user(gw, "cal.change")
    here = await _session(gw, "cal.change")
    elsewhere = await _session(gw, "cal.change")
    r = await gw.http.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=_bearer(here),
    )
    assert r.status_code == 204
    for tokens in (here, elsewhere):
        assert await _me(gw, tokens) == 401
        assert (await _refresh(gw, tokens)).status_code == 401
    # a new session with the new password works
    fresh = await _session(gw, "cal.change", NEW_PASSWORD)
    assert await _me(gw, fresh) == 200


async def test_a8_a_reused_refresh_token_stops_its_sessions_access_tokens(gw: Gateway) -> None:
    await _user(gw, "rita.reuse")
    first = await _session(gw, "rita.reuse")
    second = (await _refresh(gw, first)).json()
    assert (await _refresh(gw, first)).status_code == 401  # the stolen copy comes back
    assert await _me(gw, second) == 401
    assert await _me(gw, first) == 401
