"""A2–A5, A8: the forged-token suite. Each bad token → 401, and nothing reaches a service."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from services.gateway.keys.crypto import public_jwk
from tests.gateway.conftest import Gateway

ISS = "http://127.0.0.1:8000"
AUD = "improvement-platform"


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISS,
        "aud": AUD,
        "sub": "forger",
        "client_id": "forger",
        "agency": "council",
        "kind": "client",
        "roles": [],
        "scope": "actions:read admin",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


async def _signed(gw: Gateway, claims: dict[str, Any], **header: Any) -> str:
    kid, key = await gw.app.state.keyring.signer()
    headers = {"kid": kid, "typ": "at+jwt"} | header
    headers = {k: v for k, v in headers.items() if v is not None}
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _raw(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    return signing_input + "." + _b64(signature)


async def _assert_refused(gw: Gateway, token: str) -> None:
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert gw.upstream.requests == []


async def test_a_genuine_token_passes(gw: Gateway) -> None:
    token = await _signed(gw, _claims())
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


async def test_alg_none_is_refused(gw: Gateway) -> None:
    kid, _ = await gw.app.state.keyring.signer()
    await _assert_refused(gw, _raw({"alg": "none", "typ": "at+jwt", "kid": kid}, _claims()))
    await _assert_refused(gw, _raw({"alg": "None", "typ": "at+jwt", "kid": kid}, _claims()))


async def test_hs256_signed_with_the_public_key_is_refused(gw: Gateway) -> None:
    kid, key = await gw.app.state.keyring.signer()
    from cryptography.hazmat.primitives import serialization

    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk_json = json.dumps(public_jwk(key.public_key())).encode()
    for secret in (public_pem, jwk_json):
        header = {"alg": "HS256", "typ": "at+jwt", "kid": kid}
        unsigned = _raw(header, _claims()).rsplit(".", 1)[0]
        sig = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
        await _assert_refused(gw, unsigned + "." + _b64(sig))


async def test_other_asymmetric_algorithms_are_refused(gw: Gateway) -> None:
    kid, _ = await gw.app.state.keyring.signer()
    rsa_like = _raw({"alg": "RS256", "typ": "at+jwt", "kid": kid}, _claims(), b"x" * 256)
    await _assert_refused(gw, rsa_like)


@pytest.mark.parametrize(
    "iss",
    [
        "http://127.0.0.1:8000/",
        "HTTP://127.0.0.1:8000",
        "http://127.0.0.1:8000 ",
        "https://127.0.0.1:8000",
        "http://127.0.0.1:8000.evil.example",
        "",
    ],
)
async def test_wrong_issuer_variants_are_refused(gw: Gateway, iss: str) -> None:
    await _assert_refused(gw, await _signed(gw, _claims(iss=iss)))


async def test_missing_issuer_is_refused(gw: Gateway) -> None:
    claims = _claims()
    del claims["iss"]
    await _assert_refused(gw, await _signed(gw, claims))


@pytest.mark.parametrize("aud", ["actions", "improvement-platform-x", ["someone-else"], ""])
async def test_other_audiences_are_refused(gw: Gateway, aud: Any) -> None:
    await _assert_refused(gw, await _signed(gw, _claims(aud=aud)))


@pytest.mark.parametrize("claim", ["aud", "sub", "jti", "client_id", "exp", "iat", "agency"])
async def test_missing_claims_are_refused(gw: Gateway, claim: str) -> None:
    claims = _claims()
    del claims[claim]
    await _assert_refused(gw, await _signed(gw, claims))


@pytest.mark.parametrize("typ", [None, "JWT", "int+jwt", "id+jwt"])
async def test_other_token_types_are_refused(gw: Gateway, typ: str | None) -> None:
    """ID tokens (typ JWT), the gateway's own internal tokens and untyped tokens."""
    await _assert_refused(gw, await _signed(gw, _claims(), typ=typ))


async def test_expired_not_yet_valid_and_overlong_tokens_are_refused(gw: Gateway) -> None:
    now = int(time.time())
    await _assert_refused(gw, await _signed(gw, _claims(iat=now - 700, exp=now - 61)))
    await _assert_refused(gw, await _signed(gw, _claims(nbf=now + 120)))
    await _assert_refused(gw, await _signed(gw, _claims(iat=now + 120, nbf=None)))
    await _assert_refused(gw, await _signed(gw, _claims(exp=now + 3600)))


async def test_a_token_within_the_leeway_still_passes(gw: Gateway) -> None:
    now = int(time.time())
    token = await _signed(gw, _claims(iat=now - 600, exp=now - 10))
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


async def test_attacker_keys_in_headers_are_ignored_and_never_fetched(gw: Gateway) -> None:
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(attacker.public_key())
    claims = _claims()
    for header in (
        {"jwk": jwk, "kid": jwk["kid"]},
        {"jku": "http://attacker.example/jwks.json", "kid": jwk["kid"]},
        {"x5u": "http://attacker.example/cert.pem", "kid": jwk["kid"]},
        {"x5c": ["MIIB"], "kid": jwk["kid"]},
        {"jku": "http://attacker.example/jwks.json"},  # our kid, attacker signature
    ):
        kid = header.pop("kid", None) or (await gw.app.state.keyring.signer())[0]
        token = jwt.encode(
            claims, attacker, algorithm="ES256", headers={"typ": "at+jwt", "kid": kid} | header
        )
        await _assert_refused(gw, token)
    assert gw.upstream.requests == []  # no outbound request of any kind


async def test_unknown_kid_and_unknown_crit_are_refused(gw: Gateway) -> None:
    await _assert_refused(gw, await _signed(gw, _claims(), kid="no-such-key"))
    await _assert_refused(gw, await _signed(gw, _claims(), crit=["exp"]))


async def test_garbage_is_refused(gw: Gateway) -> None:
    for token in ("", "abc", "a.b.c", "x" * 10_000):
        r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
    r = await gw.http.get("/v1/actions", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert r.status_code == 401
    assert gw.upstream.requests == []


async def test_deny_list_stops_a_client_and_a_token_at_once(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    client_id, secret = await gw.new_client(("actions:read",))
    first = await gw.token(client_id, secret)
    second = await gw.token(client_id, secret)
    jti = jwt.decode(second, options={"verify_signature": False})["jti"]
    for token in (first, second):
        ok = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    r = await gw.http.post(
        "/v1/deny-list", json={"kind": "jti", "value": jti, "reason": "leaked"}, headers=admin
    )
    assert r.status_code == 204
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {second}"})
    assert r.status_code == 401
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 200
    r = await gw.http.post(
        "/v1/deny-list",
        json={"kind": "client", "value": client_id, "reason": "compromised"},
        headers=admin,
    )
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {first}"})
    assert r.status_code == 401


async def test_tokens_still_verify_while_the_database_is_away(gw: Gateway) -> None:
    """Keys and the deny list are cached: a database outage does not turn every call into a
    500; what was denied stays denied."""
    client_id, secret = await gw.new_client(("actions:read",))
    token = await gw.token(client_id, secret)
    unused = await gw.token(client_id, secret)
    headers = {"Authorization": f"Bearer {token}"}
    assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
    gw.app.state.denylist.note("jti", "some-other-token")

    class Broken:
        def __call__(self) -> Any:
            raise OSError("database unreachable")

    gw.app.state.sessionmaker = Broken()
    gw.app.state.denylist.invalidate()
    gw.app.state.keyring._cache_s = 0  # force a key-set reload, which fails
    assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
    fresh = {"Authorization": f"Bearer {unused}"}  # not yet verified: needs the key set
    assert (await gw.http.get("/v1/actions", headers=fresh)).status_code == 200
    gw.app.state.denylist.note("client", client_id)
    assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 401
