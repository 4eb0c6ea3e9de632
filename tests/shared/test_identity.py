"""Services act only for a caller named in a valid gateway-minted internal token (Z4)."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi import APIRouter, FastAPI

from shared.app import build_app
from shared.config import ServiceSettings
from shared.devtools.stack import generate_ec_key
from shared.identity import Caller, CallerDep, InternalTokenMinter
from tests.support.apps import client_for
from tests.support.tokens import ISSUER, caller, internal_keys, minter


def make_app() -> FastAPI:
    router = APIRouter()

    @router.get("/whoami")
    async def whoami(who: CallerDep) -> dict[str, object]:
        return {"agency": who.agency, "roles": sorted(who.roles), "subject": who.subject}

    from pydantic import SecretStr

    settings = ServiceSettings(
        profile="test",
        service_name="actions",
        internal_jwt_public_key=SecretStr(internal_keys()[1]),
        internal_jwt_issuer=ISSUER,
    )
    return build_app(settings, title="p", description="p", routers=[router], use_database=False)


@pytest.fixture
async def client():  # type: ignore[no-untyped-def]
    async with client_for(make_app()) as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_valid_internal_token_names_the_caller(client) -> None:  # type: ignore[no-untyped-def]
    who = caller("police", ("contributor",))
    r = await client.get("/whoami", headers=bearer(minter().mint(who, "actions")))
    assert r.status_code == 200
    assert r.json() == {"agency": "police", "roles": ["contributor"], "subject": who.subject}


def _forge(
    claims_patch: dict[str, object],
    header_patch: dict[str, object] | None = None,
    key: str | None = None,
    alg: str = "ES256",
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": "actions",
        "sub": "x",
        "agency": "council",
        "roles": ["admin"],
        "scope": "",
        "iat": now,
        "nbf": now,
        "exp": now + 30,
        "jti": "j1",
    }
    claims.update(claims_patch)
    claims = {k: v for k, v in claims.items() if v is not None}
    headers = {"typ": "int+jwt", "kid": "test-internal"} | (header_patch or {})
    return jwt.encode(claims, key or internal_keys()[0], algorithm=alg, headers=headers)


def _hs256_with_public_key() -> str:
    """The algorithm-confusion attack: HMAC keyed with the verifier's public key."""
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "int+jwt"}).encode())
    claims = {
        "iss": ISSUER,
        "aud": "actions",
        "sub": "x",
        "agency": "council",
        "iat": now,
        "exp": now + 30,
        "jti": "j",
    }
    payload = b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(internal_keys()[1].encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


BAD_TOKENS = {
    "no-token": None,
    "expired": lambda: _forge({"iat": int(time.time()) - 100, "exp": int(time.time()) - 40}),
    "other-audience": lambda: _forge({"aud": "kpis"}),
    "other-issuer": lambda: _forge({"iss": "someone-else"}),
    "missing-sub": lambda: _forge({"sub": None}),
    "missing-agency": lambda: _forge({"agency": None}),
    "too-long-lived": lambda: _forge({"exp": int(time.time()) + 3600}),
    "partner-typ": lambda: _forge({}, {"typ": "at+jwt"}),
    "foreign-key": lambda: _forge({}, key=generate_ec_key()[0]),
    "hs256-with-public-key": lambda: _hs256_with_public_key(),
    "alg-none": lambda: jwt.encode(
        {"sub": "x", "aud": "actions"}, None, algorithm="none", headers={"typ": "int+jwt"}
    ),
    "garbage": lambda: "not.a.token",
}


@pytest.mark.parametrize("name", list(BAD_TOKENS))
async def test_bad_internal_tokens_are_refused(client, name: str) -> None:  # type: ignore[no-untyped-def]
    make = BAD_TOKENS[name]
    headers = bearer(make()) if make else {}
    r = await client.get("/whoami", headers=headers)
    assert r.status_code == 401, name
    assert r.headers["content-type"] == "application/problem+json"


def test_minter_caps_lifetime_at_sixty_seconds() -> None:
    token = InternalTokenMinter(internal_keys()[0], kid="k", issuer=ISSUER).mint(
        Caller(subject="s", agency="council"), "actions", lifetime_s=3600
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] <= 60
