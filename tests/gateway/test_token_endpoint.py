"""A7: client credentials at /oauth/token; secrets hashed, shown once; RFC 6749 errors."""

from __future__ import annotations

import base64
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text

from services.gateway.keys.crypto import public_jwk
from tests.gateway.conftest import Gateway


async def test_client_credentials_issue_an_rfc9068_token(gw: Gateway) -> None:
    client_id, secret = await gw.new_client(("actions:read", "kpis:read"), agency="police")
    r = await gw.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "kpis:read",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "kpis:read"
    assert 0 < body["expires_in"] <= 600
    assert r.headers["cache-control"] == "no-store"
    header = jwt.get_unverified_header(body["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    jwks = (await gw.http.get("/.well-known/jwks.json")).json()["keys"]
    assert header["kid"] in {k["kid"] for k in jwks}
    key = jwt.PyJWK({k: v for k, v in next(k for k in jwks if k["kid"] == header["kid"]).items()})
    claims = jwt.decode(
        body["access_token"], key.key, algorithms=["ES256"], audience="improvement-platform"
    )
    for claim in ("iss", "aud", "sub", "client_id", "agency", "scope", "jti", "iat", "exp"):
        assert claim in claims
    assert claims["agency"] == "police"
    assert claims["exp"] - claims["iat"] <= 600
    assert all("d" not in k for k in jwks)


async def test_basic_authentication_works_too(gw: Gateway) -> None:
    client_id, secret = await gw.new_client()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    r = await gw.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic " + basic},
    )
    assert r.status_code == 200


async def test_wrong_secret_unknown_client_and_password_grant_are_refused(gw: Gateway) -> None:
    client_id, secret = await gw.new_client()
    base = {"grant_type": "client_credentials", "client_id": client_id}
    r = await gw.http.post("/oauth/token", data=base | {"client_secret": secret + "x"})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_client"
    r = await gw.http.post(
        "/oauth/token", data=base | {"client_id": "nobody", "client_secret": secret}
    )
    assert r.json()["error"] == "invalid_client"
    for grant in ("password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"):
        r = await gw.http.post(
            "/oauth/token",
            data={
                "grant_type": grant,
                "client_id": client_id,
                "client_secret": secret,
                "username": "u",
                "password": "p",
            },
        )
        assert r.status_code == 400
        assert r.json()["error"] == "unsupported_grant_type"
    # the code and refresh grants are browsers' (tests/gateway/test_browser_signin.py)
    for grant in ("authorization_code", "refresh_token"):
        r = await gw.http.post(
            "/oauth/token",
            data={"grant_type": grant, "client_id": client_id, "client_secret": secret},
        )
        assert r.status_code == 400
        assert r.json()["error"] == "unauthorized_client"
    r = await gw.http.post("/oauth/token", json=base | {"client_secret": secret})
    assert r.json()["error"] == "invalid_request"


async def test_scope_beyond_the_clients_is_invalid_scope(gw: Gateway) -> None:
    client_id, secret = await gw.new_client(("actions:read",))
    r = await gw.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "actions:read admin",
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_scope"


async def test_secret_is_stored_as_argon2id_and_never_readable(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    r = await gw.http.post(
        "/v1/clients",
        json={"name": "Police RMS", "agency": "police", "scopes": ["kpis:submit"]},
        headers=admin,
    )
    assert r.status_code == 201
    made = r.json()
    secret = made["client_secret"]
    assert secret
    assert len(secret) >= 40
    stored = await gw.connection.scalar(
        text("SELECT secret_hash FROM gateway.client WHERE client_id = :c"),
        {"c": made["client_id"]},
    )
    assert stored.startswith("$argon2id$")
    assert secret not in stored
    listed = (await gw.http.get("/v1/clients", headers=admin)).text
    one = (await gw.http.get(f"/v1/clients/{made['client_id']}", headers=admin)).text
    assert secret not in listed
    assert '"client_secret":' not in listed
    assert secret not in one
    assert "secret_hash" not in one
    await gw.token(made["client_id"], secret)


async def test_rotation_shows_a_new_secret_once_and_the_old_stops(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    client_id, old = await gw.new_client()
    r = await gw.http.post(f"/v1/clients/{client_id}/rotate-secret", headers=admin)
    new = r.json()["client_secret"]
    assert new != old
    await gw.token(client_id, new)
    r = await gw.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": old},
    )
    assert r.status_code == 401


async def test_only_council_admins_manage_clients(gw: Gateway) -> None:
    police_admin = await gw.bearer(("admin",), agency="police")
    reader = await gw.bearer(("actions:read",))
    for headers in (police_admin, reader):
        r = await gw.http.get("/v1/clients", headers=headers)
        assert r.status_code == 403
    assert (await gw.http.get("/v1/clients")).status_code == 401


def _assertion(key: ec.EllipticCurvePrivateKey, client_id: str, aud: str, **kw: object) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 60,
    } | kw
    return jwt.encode(claims, key, algorithm="ES256")


async def test_private_key_jwt(gw: Gateway) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key.public_key())
    client_id, secret = await gw.new_client(("kpis:submit",), agency="ccg", public_jwk=jwk)
    assert secret == ""
    aud = "http://127.0.0.1:8000/oauth/token"
    assertion = _assertion(key, client_id, aud)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    r = await gw.http.post("/oauth/token", data=form)
    assert r.status_code == 200, r.text
    # replay of the same assertion
    r = await gw.http.post("/oauth/token", data=form)
    assert r.status_code == 401
    # signed by another key
    other = ec.generate_private_key(ec.SECP256R1())
    r = await gw.http.post(
        "/oauth/token", data=form | {"client_assertion": _assertion(other, client_id, aud)}
    )
    assert r.status_code == 401
    # wrong audience
    r = await gw.http.post(
        "/oauth/token",
        data=form | {"client_assertion": _assertion(key, client_id, "https://elsewhere")},
    )
    assert r.status_code == 401


async def test_disabled_client_gets_no_token_and_its_tokens_stop(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    client_id, secret = await gw.new_client(("actions:read",))
    headers = {"Authorization": "Bearer " + await gw.token(client_id, secret)}
    assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 200
    r = await gw.http.post(f"/v1/clients/{client_id}/disable", headers=admin)
    assert r.status_code == 200
    assert (await gw.http.get("/v1/actions", headers=headers)).status_code == 401
    r = await gw.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert r.status_code == 401


async def test_metadata_document(gw: Gateway) -> None:
    body = (await gw.http.get("/.well-known/oauth-authorization-server")).json()
    assert body["grant_types_supported"] == [
        "client_credentials",
        "authorization_code",
        "refresh_token",
    ]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert "private_key_jwt" in body["token_endpoint_auth_methods_supported"]
    assert body["token_endpoint"].endswith("/oauth/token")


async def test_token_issue_is_in_the_outbox(gw: Gateway) -> None:
    client_id, secret = await gw.new_client()
    await gw.token(client_id, secret)
    rows = (
        await gw.connection.execute(
            text("SELECT event_type, entity_id FROM gateway.outbox ORDER BY seq")
        )
    ).all()
    assert ("token.issued", client_id) in [tuple(r) for r in rows]


async def test_client_lifecycle_reaches_the_trail(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    made = (
        await gw.http.post(
            "/v1/clients",
            json={"name": "Probation case system", "agency": "probation", "scopes": ["kpis:read"]},
            headers=admin,
        )
    ).json()
    client_id = made["client_id"]
    await gw.http.post(f"/v1/clients/{client_id}/rotate-secret", headers=admin)
    await gw.http.post(f"/v1/clients/{client_id}/disable", headers=admin)
    rows = (
        await gw.connection.execute(
            text(
                "SELECT event_type, actor->>'subject', payload FROM gateway.outbox "
                "WHERE entity_id = :c ORDER BY seq"
            ),
            {"c": client_id},
        )
    ).all()
    assert [r[0] for r in rows] == ["client.created", "client.rotated", "client.disabled"]
    for row in rows:
        assert made["client_secret"] not in str(row)


async def test_e4_secrets_and_tokens_never_reach_the_logs(
    gw: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    client_id, secret = await gw.new_client()
    token = await gw.token(client_id, secret)
    await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
    wrong = secret[:-4] + "XXXX"
    await gw.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": wrong},
    )
    await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}x"})
    out = capsys.readouterr()
    for sentinel in (secret, wrong, token, token[-40:]):
        assert sentinel not in out.out + out.err
