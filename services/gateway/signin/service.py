"""Rules of browser sign-in (OAuth 2.1 authorization code with PKCE).

- The authorization request: a registered browser client, a redirect URI equal byte for
  byte to one it registered, ``response_type=code``, a ``state``, and a PKCE challenge with
  ``code_challenge_method=S256`` (``plain`` is refused). A bad request is refused with a
  problem naming the field and never redirected (so the gateway is no open redirector).
- A code: 256 random bits, only its SHA-256 kept, redeemable once within
  ``GATEWAY_AUTHORIZATION_CODE_TTL_S`` by the same client, with the same redirect URI and the
  verifier of the challenge. A code that comes back ends the session its first redemption
  began (refresh tokens revoked, access tokens deny-listed), as OAuth 2.1 §4.1.3 asks.
- The session: an access token (≤ 10 min) in the body and a refresh token only in the
  cookie (``router.py``); each refresh rotates it, and an old one coming back ends the whole
  family. A cookie refresh must come from one of the client's own origins with the CSRF
  header (``CSRF_HEADER``).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import hashing, trail
from services.gateway.config import BrowserClient, FederatedProvider, GatewaySettings
from services.gateway.edges import CSRF_HEADER
from services.gateway.hashing import SecretHasher
from services.gateway.keys.denylist import DenyList
from services.gateway.keys.keyring import Keyring
from services.gateway.signin import federation
from services.gateway.signin import repository as codes
from services.gateway.signin.models import AuthorizationCode, FederatedRequest
from services.gateway.tokens.access import mint_access_token
from services.gateway.tokens.grant import OAuthError
from services.gateway.users import repository as users
from services.gateway.users.models import RefreshToken, User
from services.gateway.users.schemas import LoginRequest
from services.gateway.users.service import authenticate, end_access
from shared.clock import utc_now
from shared.identity import Caller
from shared.logs import get_logger
from shared.problems import DomainError, invalid

CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
STATE_MAX = 500
#: How long a sign-in may wait on an agency's provider.
FEDERATED_TTL_S = 600
#: Codes and waiting sign-ins are kept this long after expiry (a late reuse is still one).
KEEP_EXPIRED_S = 3600
CALLBACK_PATH = "/oauth/federated/callback"
log = get_logger("gateway.signin")

Param = Callable[[str], str | None]


@dataclass(frozen=True)
class AuthRequest:
    """An authorization request that passed every check."""

    client: BrowserClient
    redirect_uri: str
    state: str
    code_challenge: str
    provider: FederatedProvider | None = None

    def fields(self) -> dict[str, str]:
        """The request's parameters, to carry it through the sign-in page."""
        return {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": self.redirect_uri,
            "state": self.state,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def browser_client(settings: GatewaySettings, client_id: str | None) -> BrowserClient | None:
    for client in settings.effective_browser_clients():
        if client.client_id == client_id:
            return client
    return None


def provider_named(settings: GatewaySettings, name: str | None) -> FederatedProvider | None:
    for provider in settings.federated_providers:
        if provider.name == name:
            return provider
    return None


def check_request(settings: GatewaySettings, param: Param, where: str) -> AuthRequest:
    """The authorization request, or a 422 naming the first field at fault."""
    client = browser_client(settings, param("client_id"))
    if client is None:
        raise invalid("client_id", "not a registered browser client", "unknown-client", where)
    redirect_uri = param("redirect_uri")
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise invalid(
            "redirect_uri",
            "not a redirect URI this client registered (matched exactly)",
            "unregistered-redirect-uri",
            where,
        )
    if param("response_type") != "code":
        raise invalid("response_type", "must be 'code'", "unsupported-response-type", where)
    state = param("state")
    if not state or len(state) > STATE_MAX:
        raise invalid("state", f"required, at most {STATE_MAX} characters", "state", where)
    if param("code_challenge_method") != "S256":
        raise invalid(
            "code_challenge_method", "must be 'S256' (plain is refused)", "pkce-method", where
        )
    challenge = param("code_challenge")
    if challenge is None or not CHALLENGE_RE.match(challenge):
        raise invalid(
            "code_challenge",
            "required: the base64url SHA-256 of the verifier (43 characters)",
            "pkce-challenge",
            where,
        )
    idp = param("idp")
    provider = None
    if idp is not None:
        provider = provider_named(settings, idp)
        if provider is None:
            raise invalid("idp", "not a configured identity provider", "unknown-idp", where)
    return AuthRequest(client, redirect_uri, state, challenge, provider)


def back_to_client(redirect_uri: str, params: dict[str, str]) -> str:
    """The client's redirect URI with ``params`` added to its query."""
    return redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(params)


async def _new_code(
    session: AsyncSession,
    settings: GatewaySettings,
    request: AuthRequest,
    *,
    subject: str,
    agency: str,
    roles: list[str],
    user_id: uuid.UUID | None,
) -> str:
    """A code for ``request`` and the client's redirect URI carrying it."""
    code = secrets.token_urlsafe(32)
    now = utc_now()
    await codes.add(
        session,
        AuthorizationCode(
            code_hash=hashing.digest(code),
            client_id=request.client.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            user_id=user_id,
            subject=subject,
            agency=agency,
            roles=roles,
            issued_at=now,
            expires_at=now + timedelta(seconds=settings.authorization_code_ttl_s),
        ),
    )
    await codes.forget_expired(session, now - timedelta(seconds=KEEP_EXPIRED_S))
    params = {"code": code, "state": request.state, "iss": settings.issuer}
    return back_to_client(request.redirect_uri, params)


async def sign_in(
    session: AsyncSession,
    settings: GatewaySettings,
    request: AuthRequest,
    login: LoginRequest,
    hasher: SecretHasher,
) -> str | DomainError:
    """A local account's sign-in (password, and TOTP where it has one, with the lockout and
    no enumeration of ``/v1/auth/login``): the redirect carrying the code, or the refusal."""
    user = await authenticate(session, login, settings, hasher)
    if isinstance(user, DomainError):
        return user
    return await _new_code(
        session,
        settings,
        request,
        subject=user.username,
        agency=user.agency,
        roles=list(user.roles),
        user_id=user.id,
    )


async def start_federated(
    session: AsyncSession, settings: GatewaySettings, request: AuthRequest
) -> str:
    """The provider's authorization URL: the gateway's own state, nonce and PKCE challenge;
    the client's request waits for the provider's answer."""
    provider = request.provider
    assert provider is not None
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    await codes.add(
        session,
        FederatedRequest(
            state_hash=hashing.digest(state),
            provider=provider.name,
            client_id=request.client.client_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            client_state=request.state,
            nonce=nonce,
            verifier=verifier,
            expires_at=utc_now() + timedelta(seconds=FEDERATED_TTL_S),
        ),
    )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": settings.issuer.rstrip("/") + CALLBACK_PATH,
        "scope": provider.scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    return back_to_client(provider.authorization_endpoint, query)


async def finish_federated(
    session: AsyncSession, settings: GatewaySettings, http: httpx.AsyncClient, param: Param
) -> str:
    """The provider's answer: the client's redirect URI with a code, or with
    ``error=access_denied`` when the provider did not sign the person in."""
    state = param("state")
    row = await codes.request_by_hash(session, hashing.digest(state)) if state else None
    now = utc_now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise invalid("state", "unknown, used or expired sign-in", "state", "query")
    row.used_at = now
    await session.flush()
    provider = provider_named(settings, row.provider)
    client = browser_client(settings, row.client_id)
    if client is None or row.redirect_uri not in client.redirect_uris:
        raise invalid("state", "the client of this sign-in is gone", "state", "query")
    request = AuthRequest(client, row.redirect_uri, row.client_state, row.code_challenge)
    denied = back_to_client(row.redirect_uri, {"error": "access_denied", "state": row.client_state})
    code = param("code")
    if provider is None or param("error") is not None or not code:
        log.info("signin.federated_refused", reason="provider answered no code")
        return denied
    try:
        id_token = await federation.redeem(
            http, provider, code, settings.issuer.rstrip("/") + CALLBACK_PATH, row.verifier
        )
        person = await federation.person(http, provider, id_token, row.nonce)
    except federation.ProviderRefused as exc:
        log.warning("signin.federated_refused", provider=provider.name, reason=exc.reason)
        return denied
    await trail.record(
        session,
        "login.federated",
        entity_type="user",
        entity_id=person.subject,
        actor=_actor(person.subject, person.agency, person.roles),
        payload={"provider": provider.name, "client_id": client.client_id},
    )
    return await _new_code(
        session,
        settings,
        request,
        subject=person.subject,
        agency=person.agency,
        roles=person.roles,
        user_id=None,
    )


def _actor(subject: str, agency: str, roles: list[str]) -> dict[str, object]:
    return Caller(subject=subject, agency=agency, roles=frozenset(roles), kind="user").as_actor()


@dataclass(frozen=True)
class Issued:
    body: dict[str, Any]
    refresh_token: str


async def _issue(
    session: AsyncSession,
    settings: GatewaySettings,
    keyring: Keyring,
    *,
    client_id: str,
    subject: str,
    agency: str,
    roles: list[str],
    user_id: uuid.UUID | None,
    family_id: uuid.UUID,
) -> Issued:
    token, claims = mint_access_token(
        await keyring.signer(),
        issuer=settings.issuer,
        audience=settings.audience,
        subject=subject,
        client_id=client_id,
        agency=agency,
        kind="user",
        roles=roles,
        lifetime_s=settings.access_token_ttl_s,
    )
    refresh = secrets.token_urlsafe(32)
    now = utc_now()
    await users.add(
        session,
        RefreshToken(
            id=uuid.uuid4(),
            user_id=user_id,
            family_id=family_id,
            token_hash=hashing.digest(refresh),
            issued_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
            access_jti=str(claims["jti"]),
            access_expires_at=now + timedelta(seconds=claims["exp"] - claims["iat"]),
            client_id=client_id,
            subject=None if user_id is not None else subject,
            agency=None if user_id is not None else agency,
            roles=None if user_id is not None else roles,
        ),
    )
    await trail.record(
        session,
        "token.issued",
        entity_type="user",
        entity_id=subject,
        actor=_actor(subject, agency, roles),
        payload={
            "jti": claims["jti"],
            "roles": roles,
            "expires_at": claims["exp"],
            "client_id": client_id,
        },
    )
    body = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": claims["exp"] - claims["iat"],
        "scope": "",
    }
    return Issued(body, refresh)


def _client(settings: GatewaySettings, client_id: str | None) -> BrowserClient:
    client = browser_client(settings, client_id)
    if client is None:
        # partner systems use client credentials; codes and cookie refreshes are browsers'
        raise OAuthError("unauthorized_client", "this grant is for registered browser clients")
    return client


async def _end_family(
    session: AsyncSession, denylist: DenyList, family_id: uuid.UUID, reason: str
) -> None:
    now = utc_now()
    await users.revoke_family(session, family_id, now)
    live = await users.live_access_tokens(session, now, family_id=family_id)
    await end_access(session, denylist, live, reason)


async def _person(session: AsyncSession, user_id: uuid.UUID | None) -> User | None:
    return await users.user_by_id(session, user_id) if user_id is not None else None


async def redeem_code(
    session: AsyncSession,
    settings: GatewaySettings,
    keyring: Keyring,
    denylist: DenyList,
    param: Param,
) -> Issued:
    """``grant_type=authorization_code``: a browser client's code, with its verifier."""
    client = _client(settings, param("client_id"))
    code = param("code")
    if not code:
        raise OAuthError("invalid_request", "code is required")
    bad = OAuthError("invalid_grant", "invalid, expired or used authorization code")
    row = await codes.code_by_hash(session, hashing.digest(code))
    now = utc_now()
    if row is None:
        raise bad
    if row.used_at is not None:
        # the code came back: whoever redeemed it first may not be its owner
        if row.family_id is not None:
            await _end_family(session, denylist, row.family_id, "authorization code reused")
        await trail.record(
            session,
            "code.reused",
            entity_type="user",
            entity_id=row.subject,
            payload={"client_id": row.client_id},
        )
        log.warning("signin.code_reused")
        raise bad
    if row.expires_at <= now or row.client_id != client.client_id:
        raise bad
    if param("redirect_uri") != row.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    verifier = param("code_verifier")
    if verifier is None or not VERIFIER_RE.match(verifier):
        raise OAuthError("invalid_grant", "code_verifier is required (PKCE)")
    if not secrets.compare_digest(s256(verifier), row.code_challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    user = await _person(session, row.user_id)
    if row.user_id is not None and (user is None or user.disabled_at is not None):
        raise bad
    row.used_at = now
    row.family_id = uuid.uuid4()
    await session.flush()
    return await _issue(
        session,
        settings,
        keyring,
        client_id=client.client_id,
        subject=user.username if user is not None else row.subject,
        agency=user.agency if user is not None else row.agency,
        roles=list(user.roles) if user is not None else list(row.roles),
        user_id=row.user_id,
        family_id=row.family_id,
    )


def check_csrf(client: BrowserClient, origin: str | None, csrf: str | None) -> None:
    """A refresh authenticated by the cookie comes from one of the client's own origins (the
    ``Origin`` header, which scripts cannot set) and carries ``X-Platform-CSRF: 1`` (a custom
    header: from any other origin the browser must first ask CORS, which answers only the
    allow-listed origins)."""
    if origin is None or origin not in client.origins():
        raise OAuthError("invalid_request", "refresh refused: not from the client's origin", 403)
    if csrf != "1":
        raise OAuthError("invalid_request", f"refresh refused: {CSRF_HEADER} header missing", 403)


async def refresh_by_cookie(
    session: AsyncSession,
    settings: GatewaySettings,
    keyring: Keyring,
    denylist: DenyList,
    param: Param,
    *,
    cookie: str | None,
    origin: str | None,
    csrf: str | None,
) -> Issued:
    """``grant_type=refresh_token`` from a browser: the refresh token is the cookie's."""
    client = _client(settings, param("client_id"))
    check_csrf(client, origin, csrf)
    if param("refresh_token") is not None:
        raise OAuthError("invalid_request", "a browser client's refresh token is the cookie")
    bad = OAuthError("invalid_grant", "invalid refresh token")
    if not cookie or len(cookie) > 200:
        raise bad
    row = await users.refresh_by_hash(session, hashing.digest(cookie))
    now = utc_now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise bad
    if row.client_id != client.client_id:
        raise bad
    if row.used_at is not None:
        # an old token came back: someone holds a copy. End the whole family.
        await _end_family(session, denylist, row.family_id, "refresh token reused")
        await trail.record(
            session,
            "refresh.reused",
            entity_type="user",
            entity_id=row.subject or "local",
            payload={"family": str(row.family_id), "client_id": client.client_id},
        )
        log.warning("refresh.reused")
        raise bad
    user = await _person(session, row.user_id)
    if row.user_id is not None and (user is None or user.disabled_at is not None):
        raise bad
    if user is None and (row.subject is None or row.agency is None):
        raise bad
    row.used_at = now
    await session.flush()
    return await _issue(
        session,
        settings,
        keyring,
        client_id=client.client_id,
        subject=user.username if user is not None else str(row.subject),
        agency=user.agency if user is not None else str(row.agency),
        roles=list(user.roles) if user is not None else list(row.roles or []),
        user_id=row.user_id,
        family_id=row.family_id,
    )


async def sign_out(
    session: AsyncSession,
    settings: GatewaySettings,
    denylist: DenyList,
    param: Param,
    *,
    cookie: str | None,
    origin: str | None,
    csrf: str | None,
) -> None:
    """End a browser session (RFC 7009 in spirit: the token is the cookie's): its refresh
    tokens revoked, its access tokens deny-listed at once. An unknown or dead cookie is no
    error (nothing to end); the origin and CSRF header are checked as for a refresh."""
    client = _client(settings, param("client_id"))
    check_csrf(client, origin, csrf)
    if not cookie or len(cookie) > 200:
        return
    row = await users.refresh_by_hash(session, hashing.digest(cookie))
    if row is None or row.client_id != client.client_id:
        return
    await _end_family(session, denylist, row.family_id, "logout")
    await trail.record(
        session,
        "logout",
        entity_type="user",
        entity_id=row.subject or "local",
        payload={"family": str(row.family_id), "client_id": client.client_id},
    )
