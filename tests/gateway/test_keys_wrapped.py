"""Signing keys at rest are wrapped by GATEWAY_KEY_WRAPPING_KEY, never plain PEM (issue 19,
item 2); they still sign and verify, and a wrong wrapping key is named as such."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.gateway.keys.crypto import new_signing_key
from services.gateway.keys.keyring import check_unwrap, rewrap_keys
from services.gateway.keys.wrapping import KeyWrapper, WrappingKeyError
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support.apps import session_on


async def _stored(gw: Gateway) -> list[str]:
    rows = await gw.connection.execute(text("SELECT private_key_wrapped FROM gateway.signing_key"))
    return [r[0] for r in rows]


async def test_keys_are_stored_wrapped_and_still_sign(gw: Gateway) -> None:
    stored = await _stored(gw)
    assert stored
    assert all(s.startswith("wrapped:v1:") and "BEGIN" not in s for s in stored)
    client_id, secret = await gw.new_client(("actions:read",))
    token = await gw.token(client_id, secret)
    r = await gw.http.get("/v1/actions", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


async def test_a_wrong_wrapping_key_is_named(gw: Gateway) -> None:
    wrong = gateway_settings(key_wrapping_key=SecretStr("another-key-" + "x" * 32)).key_wrapper()
    async with session_on(gw.connection) as session:
        with pytest.raises(WrappingKeyError, match="GATEWAY_KEY_WRAPPING_KEY is wrapping key"):
            await check_unwrap(session, wrong)


async def test_the_wrapping_key_rotates_by_rewrap(gw: Gateway) -> None:
    wrapper: KeyWrapper = gw.app.state.keyring.wrapper
    async with session_on(gw.connection) as session:
        await check_unwrap(session, wrapper)
        assert await rewrap_keys(session, wrapper) == 0  # all wrapped by it already
    # the new key current, the old one previous: rewrap; then the old key alone opens nothing
    new_secret = "rotated-" + "y" * 32
    async with session_on(gw.connection) as session:
        assert (
            await rewrap_keys(session, KeyWrapper(new_secret, previous="dev-only-key-wrapping"))
            >= 1
        )
        assert await check_unwrap(session, KeyWrapper(new_secret)) >= 1
        with pytest.raises(WrappingKeyError):
            await check_unwrap(session, wrapper)


async def test_the_database_refuses_a_plain_key(gw: Gateway) -> None:
    pem, jwk = new_signing_key()
    with pytest.raises(IntegrityError, match="ck_signing_key_wrapped"):
        async with gw.connection.begin_nested():
            await gw.connection.execute(
                text(
                    "INSERT INTO gateway.signing_key (kid, private_key_wrapped, public_jwk, "
                    "activate_at) VALUES (:kid, :pem, CAST(:jwk AS jsonb), now())"
                ),
                {"kid": jwk["kid"], "pem": pem, "jwk": json.dumps(jwk)},
            )
