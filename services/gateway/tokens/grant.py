"""The client-credentials grant (RFC 6749 §4.4) with secret or ``private_key_jwt`` (RFC 7523).

Errors follow RFC 6749 §5.2 (``error``, ``error_description``) and carry the problem fields
as well, so either kind of client understands them.
"""

from __future__ import annotations

import base64
import binascii
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import jwt
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from services.gateway import trail
from services.gateway.clients import repository
from services.gateway.clients.models import Client
from services.gateway.clients.service import ASSERTION_ALGORITHMS
from services.gateway.config import GatewaySettings
from services.gateway.hashing import SecretHasher
from services.gateway.keys.keyring import Keyring
from services.gateway.tokens.access import mint_access_token
from shared.clock import utc_now
from shared.identity import Caller
from shared.logs import get_logger

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME_S = 300
log = get_logger("gateway.token")


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        raw = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "malformed basic credentials", 401) from exc
    client_id, sep, secret = raw.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed basic credentials", 401)
    return unquote(client_id), unquote(secret)


def field(form: FormData, name: str) -> str | None:
    values = form.getlist(name)
    if len(values) > 1:
        raise OAuthError("invalid_request", f"{name} given more than once")
    value = values[0] if values else None
    if value is not None and (not isinstance(value, str) or len(value) > 8192):
        raise OAuthError("invalid_request", f"{name} is invalid")
    return value


async def _by_secret(
    session: AsyncSession, hasher: SecretHasher, client_id: str, secret: str
) -> Client:
    async with hasher.check_slot():  # before the lookup: no pooled connection while waiting
        client = await repository.by_client_id(session, client_id[:64])
        stored = client.secret_hash if client is not None else None
        if not await hasher.verify_off_loop(stored, secret) or client is None:
            raise OAuthError("invalid_client", "client authentication failed", 401)
        return client


async def _by_assertion(
    session: AsyncSession, assertion: str, client_id: str | None, audiences: list[str]
) -> Client:
    fail = OAuthError("invalid_client", "client authentication failed", 401)
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise fail from exc
    subject = unverified.get("sub")
    if not isinstance(subject, str) or (client_id and client_id != subject):
        raise fail
    if header.get("crit") is not None:
        raise fail
    client = await repository.by_client_id(session, subject[:64])
    if client is None or not client.public_jwk:
        raise fail
    algorithms = ASSERTION_ALGORITHMS.get(str(client.public_jwk.get("kty")), [])
    alg = header.get("alg")
    if alg not in algorithms:
        raise fail
    try:
        key = jwt.PyJWK(dict(client.public_jwk), algorithm=str(alg)).key
        claims = jwt.decode(
            assertion,
            key,
            algorithms=algorithms,
            audience=audiences,
            issuer=subject,
            leeway=30,
            options={"require": ["exp", "iss", "sub", "aud", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise fail from exc
    now = utc_now()
    if int(claims["exp"]) - time.time() > MAX_ASSERTION_LIFETIME_S:
        raise fail
    expires = datetime.fromtimestamp(int(claims["exp"]) + 60, UTC)
    if not await repository.use_assertion(session, str(claims["jti"]), subject, expires, now):
        raise OAuthError("invalid_client", "client assertion already used", 401)
    return client


async def client_credentials(
    session: AsyncSession,
    form: FormData,
    authorization: str | None,
    settings: GatewaySettings,
    keyring: Keyring,
    hasher: SecretHasher,
) -> dict[str, Any]:
    grant_type = field(form, "grant_type")
    if grant_type is None:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
    client_id = field(form, "client_id")
    secret = field(form, "client_secret")
    assertion_type = field(form, "client_assertion_type")
    assertion = field(form, "client_assertion")
    basic = _basic(authorization)
    methods = sum(x is not None for x in (secret, assertion, basic))
    if methods != 1:
        raise OAuthError("invalid_client", "use exactly one client authentication method", 401)
    if basic is not None:
        client = await _by_secret(session, hasher, *basic)
    elif secret is not None:
        if not client_id:
            raise OAuthError("invalid_request", "client_id is required")
        client = await _by_secret(session, hasher, client_id, secret)
    else:
        if assertion_type != ASSERTION_TYPE:
            raise OAuthError("invalid_request", "unsupported client_assertion_type")
        audiences = [settings.issuer, settings.issuer.rstrip("/") + "/oauth/token"]
        client = await _by_assertion(session, str(assertion), client_id, audiences)
    if client.disabled_at is not None:
        raise OAuthError("invalid_client", "client authentication failed", 401)
    requested = (field(form, "scope") or "").split()
    if not requested:
        scopes = list(client.scopes)
    elif set(requested) - set(client.scopes):
        raise OAuthError("invalid_scope", "a requested scope is not allowed for this client")
    else:
        scopes = sorted(set(requested))
    token, claims = mint_access_token(
        await keyring.signer(),
        issuer=settings.issuer,
        audience=settings.audience,
        subject=client.client_id,
        client_id=client.client_id,
        agency=client.agency,
        kind="client",
        scopes=scopes,
        lifetime_s=settings.access_token_ttl_s,
    )
    actor = Caller(
        subject=client.client_id,
        agency=client.agency,
        scopes=frozenset(scopes),
        client_id=client.client_id,
        kind="client",
    )
    await trail.record(
        session,
        "token.issued",
        entity_type="client",
        entity_id=client.client_id,
        actor=actor.as_actor(),
        payload={"jti": claims["jti"], "scopes": scopes, "expires_at": claims["exp"]},
    )
    log.info("token.issued", client_id=client.client_id, scopes=scopes)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": claims["exp"] - claims["iat"],
        "scope": " ".join(scopes),
    }
