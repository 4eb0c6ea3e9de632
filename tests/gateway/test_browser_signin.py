"""Browser sign-in (issue 18, item 4): OAuth 2.1 authorization code with PKCE (S256 only) at
the gateway, with a local account and with an agency's own OpenID Connect provider (a real
one, started here: ``oidc_provider.py``); the refresh token only in an ``HttpOnly; Secure;
SameSite=Strict`` cookie scoped to ``/oauth/token``, rotated on each use, a reused one ending
the family; the cookie refresh refused without the client's origin and the CSRF header;
redirect URIs matched exactly; ``state`` required; CORS for local development."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.config import BrowserClient, FederatedProvider, GatewaySettings
from services.gateway.tokens.router import REFRESH_COOKIE
from services.gateway.users.service import FAILED_DETAIL
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway
from tests.gateway.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

APP = "https://app.example"
REDIRECT = APP + "/callback"
WEB = BrowserClient(client_id="web", redirect_uris=(REDIRECT, "http://localhost:5173/cb"))
PASSWORD = "correct horse battery staple 42"


def _settings(**overrides: Any) -> GatewaySettings:
    return gateway_settings(browser_clients=(WEB,), rate_limit_auth="1000/minute", **overrides)


@pytest.fixture
async def gw(gateway_connection: AsyncConnection) -> AsyncIterator[Gateway]:
    gw = await make_gateway(gateway_connection, _settings())
    async with gw.http:
        yield gw


def _pkce() -> tuple[str, str]:
    """A verifier and its S256 challenge, computed here as RFC 7636 §4.2 says."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _request(challenge: str, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": "web",
        "redirect_uri": REDIRECT,
        "state": "st-" + secrets.token_hex(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    } | overrides
    return {k: v for k, v in params.items() if v is not None}


async def _person(gw: Gateway, username: str, roles: tuple[str, ...] = ("viewer",)) -> None:
    admin = await gw.bearer(("admin",))
    body = {"username": username, "agency": "council", "roles": list(roles), "password": PASSWORD}
    r = await gw.http.post("/v1/users", json=body, headers=admin)
    assert r.status_code == 201, r.text


async def _code(gw: Gateway, username: str, challenge: str) -> tuple[str, dict[str, str]]:
    """Through the sign-in page: the code the client's redirect URI receives."""
    request = _request(challenge)
    page = await gw.http.get("/oauth/authorize", params=request)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert f'value="{request["state"]}"' in page.text  # the request travels in the form
    form = request | {"username": username, "password": PASSWORD}
    r = await gw.http.post("/oauth/authorize", data=form)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == request["state"]
    assert query["iss"] == gw.app.state.settings.issuer
    return query["code"], request


async def _redeem(
    gw: Gateway, code: str, verifier: str, redirect_uri: str = REDIRECT
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": "web",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return await gw.http.post("/oauth/token", data=form)


def _cookie(r: httpx.Response) -> tuple[str, dict[str, Any]]:
    """The refresh cookie a response sets, and its attributes."""
    headers = [h for h in r.headers.get_list("set-cookie") if h.startswith(REFRESH_COOKIE + "=")]
    assert len(headers) == 1, r.headers
    morsel = SimpleCookie(headers[0])[REFRESH_COOKIE]
    return morsel.value, dict(morsel.items()) | {"raw": headers[0]}


async def _refresh(
    gw: Gateway, cookie: str | None, *, origin: str | None = APP, csrf: str | None = "1"
) -> httpx.Response:
    headers = {}
    if cookie is not None:
        headers["Cookie"] = f"{REFRESH_COOKIE}={cookie}"
    if origin is not None:
        headers["Origin"] = origin
    if csrf is not None:
        headers["X-Platform-CSRF"] = csrf
    form = {"grant_type": "refresh_token", "client_id": "web"}
    return await gw.http.post("/oauth/token", data=form, headers=headers)


async def _me(gw: Gateway, access_token: str) -> httpx.Response:
    return await gw.http.get("/v1/me", headers={"Authorization": f"Bearer {access_token}"})


async def test_code_flow_with_pkce_and_a_refresh_through_the_cookie(gw: Gateway) -> None:
    await _person(gw, "bea.browser")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "bea.browser", challenge)
    r = await _redeem(gw, code, verifier)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}  # no refresh token
    assert body["token_type"] == "Bearer"
    assert 0 < body["expires_in"] <= 600
    cookie, attrs = _cookie(r)
    assert attrs["httponly"] is True
    assert attrs["secure"] is True
    assert attrs["samesite"].lower() == "strict"
    assert attrs["path"] == "/oauth/token"
    assert int(attrs["max-age"]) == gw.app.state.settings.refresh_token_ttl_s
    me = await _me(gw, body["access_token"])
    assert me.status_code == 200, me.text
    assert me.json() | {"scopes": []} == {
        "subject": "bea.browser",
        "agency": "council",
        "kind": "user",
        "roles": ["viewer"],
        "scopes": [],
        "client_id": "web",
    }
    # a refresh through the cookie: new tokens, a new cookie (rotation)
    r = await _refresh(gw, cookie)
    assert r.status_code == 200, r.text
    rotated, attrs = _cookie(r)
    assert rotated != cookie
    assert attrs["httponly"] is True
    assert attrs["path"] == "/oauth/token"
    assert (await _me(gw, r.json()["access_token"])).status_code == 200
    # the cookie's refresh token is not a JSON-body refresh token
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": rotated})
    assert r.status_code == 401
    # the old cookie again: someone holds a copy — the whole family ends
    r = await _refresh(gw, cookie)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"
    _, cleared = _cookie(r)
    assert cleared["max-age"] == "0"
    assert (await _refresh(gw, rotated)).status_code == 400
    assert (await _me(gw, body["access_token"])).status_code == 401


async def test_a_wrong_verifier_is_refused(gw: Gateway) -> None:
    await _person(gw, "wen.wrong")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "wen.wrong", challenge)
    other, _ = _pkce()
    for bad in (other, "", verifier[:42], challenge):
        r = await _redeem(gw, code, bad)
        assert r.status_code == 400, bad
        assert r.json()["error"] == "invalid_grant"
        assert REFRESH_COOKIE not in r.headers.get("set-cookie", "")
    # a wrong verifier does not spend the code: its holder still redeems it
    assert (await _redeem(gw, code, verifier)).status_code == 200


async def test_a_reused_code_is_refused_and_ends_what_it_began(gw: Gateway) -> None:
    await _person(gw, "ray.reuse")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "ray.reuse", challenge)
    first = await _redeem(gw, code, verifier)
    assert first.status_code == 200
    cookie, _ = _cookie(first)
    again = await _redeem(gw, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    # what the first redemption began ends at once (OAuth 2.1 §4.1.3)
    assert (await _me(gw, first.json()["access_token"])).status_code == 401
    assert (await _refresh(gw, cookie)).status_code == 400
    reused = await gw.connection.scalar(
        text("SELECT count(*) FROM gateway.outbox WHERE event_type = 'code.reused'")
    )
    assert reused == 1


async def test_an_unregistered_redirect_uri_is_refused_and_never_followed(gw: Gateway) -> None:
    _, challenge = _pkce()
    for uri in (
        "https://evil.example/callback",
        REDIRECT + "/",
        REDIRECT + "?next=x",
        "HTTPS://app.example/callback",
        "https://app.example/Callback",
        None,
    ):
        r = await gw.http.get("/oauth/authorize", params=_request(challenge, redirect_uri=uri))
        assert r.status_code == 422, uri
        assert "location" not in r.headers
        assert r.json()["errors"][0]["field"] == "redirect_uri"
    r = await gw.http.get("/oauth/authorize", params=_request(challenge, client_id="nobody"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "client_id"
    # the code goes back only with the redirect URI it was issued for
    await _person(gw, "rod.redirect")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "rod.redirect", challenge)
    r = await _redeem(gw, code, verifier, redirect_uri="http://localhost:5173/cb")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"state": None}, "state"),
        ({"state": ""}, "state"),
        ({"code_challenge_method": None}, "code_challenge_method"),
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"code_challenge": None}, "code_challenge"),
        ({"code_challenge": "short"}, "code_challenge"),
        ({"response_type": "token"}, "response_type"),
        ({"idp": "nowhere"}, "idp"),
    ],
)
async def test_missing_state_and_anything_but_s256_are_refused(
    gw: Gateway, overrides: dict[str, str | None], field: str
) -> None:
    _, challenge = _pkce()
    request = _request(challenge, **overrides)
    r = await gw.http.get("/oauth/authorize", params=request)
    assert r.status_code == 422, r.text
    assert "location" not in r.headers
    assert r.json()["errors"][0] | {"message": ""} == {
        "field": field,
        "in": "query",
        "message": "",
        "code": r.json()["errors"][0]["code"],
    }
    # the form is held to the same checks
    form = request | {"username": "x.y", "password": PASSWORD}
    r = await gw.http.post("/oauth/authorize", data=form)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == field


async def test_a_wrong_password_shows_the_page_again_and_counts(gw: Gateway) -> None:
    await _person(gw, "pat.page")
    _, challenge = _pkce()
    form = _request(challenge) | {"username": "pat.page", "password": "not the password"}
    r = await gw.http.post("/oauth/authorize", data=form)
    assert r.status_code == 401
    assert "location" not in r.headers
    assert FAILED_DETAIL in r.text
    assert "<form" in r.text
    failed = await gw.connection.scalar(
        text("SELECT count(*) FROM gateway.outbox WHERE event_type = 'login.failed'")
    )
    assert failed == 1


async def test_a_cross_site_refresh_without_the_csrf_proof_is_refused(gw: Gateway) -> None:
    await _person(gw, "cass.csrf")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "cass.csrf", challenge)
    cookie, _ = _cookie(await _redeem(gw, code, verifier))
    for origin, csrf in (
        (None, None),  # a form posted from anywhere, no proof at all
        ("https://evil.example", "1"),  # another site (CORS never let it send the header)
        ("https://sub.app.example", "1"),  # a sibling on the same site
        ("null", "1"),  # a sandboxed frame
        (APP, None),  # the right origin, but a plain form post (no custom header)
        (APP, "0"),
    ):
        r = await _refresh(gw, cookie, origin=origin, csrf=csrf)
        assert r.status_code == 403, (origin, csrf)
        assert r.json()["error"] == "invalid_request"
        assert "set-cookie" not in r.headers
    # refused attempts spent nothing: the front end still refreshes
    assert (await _refresh(gw, cookie)).status_code == 200
    # and a refresh with no cookie, or a token in the body, is refused
    assert (await _refresh(gw, None)).status_code == 400
    r = await gw.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "client_id": "web", "refresh_token": cookie},
        headers={"Origin": APP, "X-Platform-CSRF": "1"},
    )
    assert r.status_code == 400


async def test_metadata_names_the_code_flow_with_s256_only(gw: Gateway) -> None:
    meta = (await gw.http.get("/.well-known/oauth-authorization-server")).json()
    assert meta["authorization_endpoint"].endswith("/oauth/authorize")
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert "authorization_code" in meta["grant_types_supported"]


def _federated(provider: Provider, **overrides: Any) -> FederatedProvider:
    values: dict[str, Any] = {
        "name": "police-idp",
        "title": "Police",
        "issuer": provider.base,
        "authorization_endpoint": provider.base + "/authorize",
        "token_endpoint": provider.base + "/token",
        "jwks_url": provider.base + "/jwks",
        "client_id": CLIENT_ID,
        "client_secret": SecretStr(CLIENT_SECRET),
        "roles_claim": "groups",
        "role_map": {"cs-analyst": "viewer"},
    }
    return FederatedProvider(**(values | overrides))


async def _through_provider(gw: Gateway, challenge: str) -> tuple[str, dict[str, str]]:
    """A browser's trip: the gateway → the provider (real HTTP) → back to the gateway →
    the client's redirect URI. Answers the query the client receives."""
    request = _request(challenge, idp="police-idp")
    r = await gw.http.get("/oauth/authorize", params=request)
    assert r.status_code == 303, r.text
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(r.headers["location"])
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/oauth/federated/callback"
    r = await gw.http.get(back.path + "?" + back.query)
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(REDIRECT + "?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["state"] == request["state"]
    return location, query


async def test_federated_sign_in_through_an_agencys_own_provider(
    gateway_connection: AsyncConnection,
) -> None:
    async with running_provider() as provider:
        gw = await make_gateway(
            gateway_connection, _settings(federated_providers=(_federated(provider),))
        )
        async with gw.http:
            _, challenge = _pkce()
            page = await gw.http.get("/oauth/authorize", params=_request(challenge))
            assert "Sign in with Police" in page.text
            verifier, challenge = _pkce()
            _, query = await _through_provider(gw, challenge)
            assert provider.redeemed == 1
            r = await _redeem(gw, query["code"], verifier)
            assert r.status_code == 200, r.text
            me = (await _me(gw, r.json()["access_token"])).json()
            assert me["subject"] == f"{provider.base}#pc-4711"
            assert me["agency"] == "police"
            assert me["roles"] == ["viewer"]
            assert me["client_id"] == "web"
            # the federated session refreshes through its cookie like a local one
            cookie, _ = _cookie(r)
            r = await _refresh(gw, cookie)
            assert r.status_code == 200, r.text
            assert (await _me(gw, r.json()["access_token"])).json()["agency"] == "police"
            # the provider's state works once
            verifier, challenge = _pkce()
            request = _request(challenge, idp="police-idp")
            r = await gw.http.get("/oauth/authorize", params=request)
            async with httpx.AsyncClient() as browser:
                back = urlsplit((await browser.get(r.headers["location"])).headers["location"])
            assert (await gw.http.get(back.path + "?" + back.query)).status_code == 303
            again = await gw.http.get(back.path + "?" + back.query)
            assert again.status_code == 422
            assert "location" not in again.headers
            await gw.app.state.idp_client.aclose()


@pytest.mark.parametrize(
    "spoil",
    ["audience", "issuer", "agency", "forged"],
)
async def test_a_provider_token_that_fails_a_check_signs_no_one_in(
    gateway_connection: AsyncConnection, spoil: str
) -> None:
    async with running_provider() as provider:
        settings = _federated(provider)
        if spoil == "audience":
            provider.audience = "someone-else"
        elif spoil == "issuer":
            settings = _federated(provider, issuer=provider.base + "/other")
        elif spoil == "agency":
            provider.claims = {"agency": "Not An Agency!"}
        elif spoil == "forged":
            provider.signer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        gw = await make_gateway(gateway_connection, _settings(federated_providers=(settings,)))
        async with gw.http:
            _, challenge = _pkce()
            _, query = await _through_provider(gw, challenge)
            assert query["error"] == "access_denied"
            assert "code" not in query
            await gw.app.state.idp_client.aclose()


async def test_cors_is_on_for_local_development_only_and_credentials_only_for_tokens(
    gateway_connection: AsyncConnection,
) -> None:
    local = GatewaySettings(profile="local")
    assert "http://localhost:5173" in local.effective_cors_origins()
    assert [c.client_id for c in local.effective_browser_clients()] == ["local-web"]
    assert gateway_settings().effective_cors_origins() == ()
    assert gateway_settings().effective_browser_clients() == ()
    chosen = GatewaySettings(profile="local", cors_origins='["https://front.example"]')
    assert chosen.effective_cors_origins() == ("https://front.example",)
    gw = await make_gateway(gateway_connection, _settings(cors_origins=("http://localhost:5173",)))
    async with gw.http:
        preflight = {
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-platform-csrf",
        }
        r = await gw.http.options("/oauth/token", headers=preflight)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "http://localhost:5173"
        assert r.headers["access-control-allow-credentials"] == "true"
        assert "x-platform-csrf" in r.headers["access-control-allow-headers"].lower()
        r = await gw.http.options("/v1/me", headers=preflight)
        assert "access-control-allow-credentials" not in r.headers
        r = await gw.http.options(
            "/oauth/token", headers=preflight | {"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in r.headers


def test_redirect_uris_must_be_https_except_on_localhost() -> None:
    with pytest.raises(ValueError, match="https"):
        BrowserClient(client_id="web", redirect_uris=("http://app.example/cb",))
    with pytest.raises(ValueError, match="fragment"):
        BrowserClient(client_id="web", redirect_uris=("https://app.example/cb#x",))
    assert urlencode({"a": "b"}) == "a=b"


async def test_sign_out_ends_the_browser_session_at_once(gw: Gateway) -> None:
    await _person(gw, "olive.out")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "olive.out", challenge)
    r = await _redeem(gw, code, verifier)
    access, (cookie, _) = r.json()["access_token"], _cookie(r)
    form = {"client_id": "web"}
    cookie_header = {"Cookie": f"{REFRESH_COOKIE}={cookie}"}
    # the same CSRF proof as a refresh: without it, nothing ends
    r = await gw.http.post("/oauth/token/revoke", data=form, headers=cookie_header)
    assert r.status_code == 403
    assert (await _me(gw, access)).status_code == 200
    proof = {"Origin": APP, "X-Platform-CSRF": "1"}
    r = await gw.http.post("/oauth/token/revoke", data=form, headers=cookie_header | proof)
    assert r.status_code == 200, r.text
    _, cleared = _cookie(r)
    assert cleared["max-age"] == "0"
    assert cleared["path"] == "/oauth/token"
    assert (await _me(gw, access)).status_code == 401
    assert (await _refresh(gw, cookie)).status_code == 400
    # a dead or missing cookie is no error (RFC 7009 §2.2)
    r = await gw.http.post("/oauth/token/revoke", data=form, headers=cookie_header | proof)
    assert r.status_code == 200
    meta = (await gw.http.get("/.well-known/oauth-authorization-server")).json()
    assert meta["revocation_endpoint"].endswith("/oauth/token/revoke")


async def test_a_person_signed_in_through_the_browser_changes_their_password(gw: Gateway) -> None:
    await _person(gw, "cole.change")
    verifier, challenge = _pkce()
    code, _ = await _code(gw, "cole.change", challenge)
    access = (await _redeem(gw, code, verifier)).json()["access_token"]
    r = await gw.http.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "another long passphrase 77"},
        headers={"Authorization": f"Bearer {access}"},
    )
    assert r.status_code == 204, r.text
    assert (await _me(gw, access)).status_code == 401  # every session ends (A8)
