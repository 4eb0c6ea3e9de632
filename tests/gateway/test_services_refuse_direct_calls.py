"""Z4: a service called directly (around the gateway) with no, expired, foreign-audience or
partner token answers 401 — only a gateway-minted internal token for it is accepted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.config import ActionsSettings
from services.actions.main import create_app as actions_app
from services.audit.config import AuditSettings
from services.audit.main import create_app as audit_app
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from shared.devtools.stack import generate_ec_key
from shared.identity import InternalTokenMinter
from tests.gateway.conftest import Gateway
from tests.support.apps import bind_app, client_for
from tests.support.tokens import ISSUER, caller, internal_keys, minter

APPS: dict[str, Callable[[], FastAPI]] = {
    "actions": lambda: actions_app(ActionsSettings(profile="test")),
    "kpis": lambda: kpis_app(KpisSettings(profile="test")),
    "audit": lambda: audit_app(AuditSettings(profile="test")),
}


def _a_get_route(app: FastAPI) -> str:
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/v1/") and "{" not in path and "get" in item:
            return str(path)
    pytest.skip("the service has no parameterless GET route yet")


def _expired(audience: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": audience,
        "sub": "x",
        "agency": "council",
        "roles": ["admin"],
        "jti": "j",
        "iat": now - 600,
        "nbf": now - 600,
        "exp": now - 120,
    }
    return jwt.encode(
        claims, internal_keys()[0], algorithm="ES256", headers={"kid": "k", "typ": "int+jwt"}
    )


@pytest.mark.parametrize("service", sorted(APPS))
async def test_z4_direct_calls_with_bad_tokens_are_401(
    service: str, gateway_connection: AsyncConnection, gw: Gateway
) -> None:
    app = bind_app(APPS[service](), gateway_connection, audience=service)
    path = _a_get_route(app)
    partner = await gw.bearer(("actions:read", "kpis:read", "audit:read"))
    other_key = InternalTokenMinter(generate_ec_key()[0], kid="x", issuer=ISSUER)
    who = caller("council", ("admin",))
    bad = {
        "none": {},
        "expired": {"Authorization": f"Bearer {_expired(service)}"},
        "other audience": {"Authorization": f"Bearer {minter().mint(who, 'gateway')}"},
        "partner access token": partner,
        "signed by another key": {"Authorization": f"Bearer {other_key.mint(who, service)}"},
        "garbage": {"Authorization": "Bearer abc.def.ghi"},
    }
    async with client_for(app) as client:
        for label, headers in bad.items():
            r = await client.get(path, headers=headers)
            assert r.status_code == 401, (service, label, r.status_code)
            assert r.headers["content-type"] == "application/problem+json"
