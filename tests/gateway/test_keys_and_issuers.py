"""A6: key rotation without failed requests; OIDC trusted issuers (an issuer the test runs)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.config import TrustedIssuer
from services.gateway.keys.crypto import public_jwk
from services.gateway.keys.keyring import rotate
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway
from tests.support.apps import session_on


async def _jwks_kids(gw: Gateway) -> list[str]:
    return [k["kid"] for k in (await gw.http.get("/.well-known/jwks.json")).json()["keys"]]


async def test_a6_rotation_publishes_first_and_never_fails_a_request(gw: Gateway) -> None:
    client_id, secret = await gw.new_client(("actions:read",))
    old = await gw.token(client_id, secret)
    old_kid = jwt.get_unverified_header(old)["kid"]
    # 1. a rotation with a publish delay: the new key is published, the old one still signs
    async with session_on(gw.connection) as session:
        pending = await rotate(
            session,
            wrapper=gw.app.state.keyring.wrapper,
            publish_delay_s=3600,
            max_token_lifetime_s=600,
        )
        await session.commit()
    gw.app.state.keyring.invalidate()
    assert set(await _jwks_kids(gw)) == {old_kid, pending.kid}
    assert jwt.get_unverified_header(await gw.token(client_id, secret))["kid"] == old_kid
    # 2. requests keep flowing while a key becomes active mid-run
    statuses = []
    new = None
    for i in range(12):
        if i == 6:
            async with session_on(gw.connection) as session:
                await rotate(
                    session,
                    wrapper=gw.app.state.keyring.wrapper,
                    publish_delay_s=0,
                    max_token_lifetime_s=600,
                )
                await session.commit()
            gw.app.state.keyring.invalidate()
            new = await gw.token(client_id, secret)
        for token in (old, new) if new else (old,):
            r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
            statuses.append(r.status_code)
    assert set(statuses) == {200}
    assert new is not None
    assert jwt.get_unverified_header(new)["kid"] not in (old_kid, pending.kid)
    # the old key stays published past the longest token lifetime
    assert old_kid in await _jwks_kids(gw)


IDP = "https://idp.police.example"


def _idp_token(key: ec.EllipticCurvePrivateKey, kid: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": IDP,
        "aud": "improvement-platform",
        "sub": "officer-1234",
        "azp": "police-portal",
        "groups": ["pp-analyst", "unrelated"],
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
    } | overrides
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid, "typ": "at+jwt"})


async def test_trusted_oidc_issuer_tokens_are_accepted_and_mapped(
    gateway_connection: AsyncConnection,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    fetched: list[str] = []

    def idp(request: httpx.Request) -> httpx.Response:
        if request.url.host == "idp.police.example":
            fetched.append(str(request.url))
            return httpx.Response(200, json={"keys": [jwk]})
        return httpx.Response(200, json={"path": request.url.path})

    issuer = TrustedIssuer(
        issuer=IDP,
        jwks_url=IDP + "/jwks",
        audience="improvement-platform",
        agency="police",
        roles_claim="groups",
        role_map={"pp-analyst": "viewer"},
        algorithms=("ES256",),
    )
    gw = await make_gateway(gateway_connection, gateway_settings(trusted_issuers=(issuer,)))
    gw.app.state.upstream_client = httpx.AsyncClient(transport=httpx.MockTransport(idp))
    async with gw.http:
        good = _idp_token(key, jwk["kid"])
        me = await gw.http.get("/v1/me", headers={"Authorization": f"Bearer {good}"})
        assert me.status_code == 200, me.text
        body = me.json()
        assert body["agency"] == "police"
        assert body["roles"] == ["viewer"]
        assert body["subject"] == IDP + "#officer-1234"
        r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {good}"})
        assert r.status_code == 200
        for bad in (
            _idp_token(key, jwk["kid"], aud="someone-else"),
            _idp_token(key, jwk["kid"], iss=IDP + "/"),
            _idp_token(key, jwk["kid"], exp=int(time.time()) - 120),
            _idp_token(ec.generate_private_key(ec.SECP256R1()), jwk["kid"]),
            _idp_token(key, "unknown-kid"),
        ):
            r = await gw.http.get("/v1/me", headers={"Authorization": f"Bearer {bad}"})
            assert r.status_code == 401
        # a trusted issuer cannot grant what its role map does not
        admin = _idp_token(key, jwk["kid"], groups=["admin"])
        r = await gw.http.get("/v1/clients", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 403
    assert set(fetched) == {IDP + "/jwks"}
