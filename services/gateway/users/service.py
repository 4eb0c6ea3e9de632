"""Rules for people: login with lockout and TOTP, rotating refresh tokens, administration.

A failed login is *returned* (not raised) so the request's transaction still commits the
failure count, the lockout and the trail event.

No account enumeration (promise A9): an unknown name, a locked name, a wrong password, a
disabled account and a right password without its TOTP code all get the same answer, are
counted alike (``throttle.py``: every typed name has a counter) and cost the same — exactly
one argon2 verification each, against a dummy hash when the name is unknown or locked.

A session's end is immediate (promise A8): logout, a password change and a reused refresh
token deny-list the access tokens minted with the refresh tokens they end.
"""

from __future__ import annotations

import secrets as std_secrets
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import hashing, trail
from services.gateway.clients.repository import agency_exists
from services.gateway.config import GatewaySettings
from services.gateway.hashing import SecretHasher
from services.gateway.keys import repository as keys_repository
from services.gateway.keys.denylist import DenyList
from services.gateway.keys.keyring import Keyring
from services.gateway.policy import ROLES
from services.gateway.tokens.access import mint_access_token
from services.gateway.users import repository
from services.gateway.users import throttle as throttles
from services.gateway.users.models import LoginThrottle, RefreshToken, User
from services.gateway.users.passwords import check_password
from services.gateway.users.schemas import (
    LoginRequest,
    PasswordChange,
    TokenPair,
    UserCreate,
    UserCreated,
    UserRead,
)
from shared.clock import utc_now
from shared.identity import Caller
from shared.logs import get_logger
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)

WEB_CLIENT_ID = "platform-web"
#: How long past its expiry a denied access token stays on the deny list (verifier leeway).
DENY_MARGIN_S = 120
log = get_logger("gateway.login")


class LoginFailed(Unauthorized):
    code, title = "login-failed", "Login failed"


#: The one answer to every failed login, whatever the reason.
FAILED_DETAIL = (
    "invalid username, password or code; after repeated failures logins are refused for a while"
)


def _refused() -> LoginFailed:
    return LoginFailed(FAILED_DETAIL)


def _actor(user: User) -> dict[str, object]:
    return Caller(
        subject=user.username, agency=user.agency, roles=frozenset(user.roles), kind="user"
    ).as_actor()


def out(user: User, locked_until: datetime | None = None) -> UserRead:
    return UserRead(
        username=user.username,
        agency=user.agency,
        roles=list(user.roles),
        totp_enabled=user.totp_secret is not None,
        locked_until=locked_until,
        disabled_at=user.disabled_at,
        created_at=user.created_at,
    )


def _totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step ``code`` matches (±1 step), or None."""
    totp = pyotp.TOTP(secret)
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if std_secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


async def _issue(
    session: AsyncSession,
    user: User,
    settings: GatewaySettings,
    keyring: Keyring,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    token, claims = mint_access_token(
        await keyring.signer(),
        issuer=settings.issuer,
        audience=settings.audience,
        subject=user.username,
        client_id=WEB_CLIENT_ID,
        agency=user.agency,
        kind="user",
        roles=list(user.roles),
        lifetime_s=settings.access_token_ttl_s,
    )
    refresh = std_secrets.token_urlsafe(32)
    access_expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    now = utc_now()
    await repository.add(
        session,
        RefreshToken(
            id=uuid.uuid4(),
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=hashing.digest(refresh),
            issued_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
            access_jti=str(claims["jti"]),
            access_expires_at=access_expires_at,
        ),
    )
    await trail.record(
        session,
        "token.issued",
        entity_type="user",
        entity_id=user.username,
        actor=_actor(user),
        payload={"jti": claims["jti"], "roles": list(user.roles), "expires_at": claims["exp"]},
    )
    return TokenPair(
        access_token=token, expires_in=claims["exp"] - claims["iat"], refresh_token=refresh
    )


async def end_access(
    session: AsyncSession,
    denylist: DenyList,
    tokens: list[tuple[str, datetime]],
    reason: str,
) -> None:
    """Deny-list access tokens (by ``jti``) until they would have expired anyway."""
    for jti, expires_at in tokens:
        until = expires_at + timedelta(seconds=DENY_MARGIN_S)
        await keys_repository.upsert_deny(session, "jti", jti, reason, until)
        denylist.note("jti", jti)


async def _failed(
    session: AsyncSession,
    throttle: LoginThrottle,
    user: User | None,
    settings: GatewaySettings,
    now: datetime,
) -> DomainError:
    """Count a failure against the typed name — known or not, the same way."""
    # an unknown name is not recorded: people type their password into the username field
    entity_id = user.username if user is not None else "unknown"
    actor = _actor(user) if user is not None else {}
    await trail.record(
        session,
        "login.failed",
        entity_type="user",
        entity_id=entity_id,
        actor=actor,
        payload={"known": user is not None},
    )
    log.info("login.failed")
    seconds = await throttles.count_failure(session, throttle, settings, now)
    if seconds is not None:
        await trail.record(
            session,
            "user.locked",
            entity_type="user",
            entity_id=entity_id,
            actor=actor,
            payload={"seconds": seconds},
        )
        log.warning("user.locked", seconds=seconds)
    return _refused()


async def login(
    session: AsyncSession,
    data: LoginRequest,
    settings: GatewaySettings,
    keyring: Keyring,
    hasher: SecretHasher,
) -> TokenPair | DomainError:
    user = await authenticate(session, data, settings, hasher)
    if isinstance(user, DomainError):
        return user
    return await _issue(session, user, settings, keyring)


async def authenticate(
    session: AsyncSession, data: LoginRequest, settings: GatewaySettings, hasher: SecretHasher
) -> User | DomainError:
    """The person whose name, password (and code) these are, or the one refusal (A9);
    shared by ``/v1/auth/login`` and the browser sign-in page (``services/gateway/signin``)."""
    # a password-check slot first (503 over the cap, for any name, before any counting)
    async with hasher.check_slot():
        return await _authenticate(session, data, settings, hasher)


async def _authenticate(
    session: AsyncSession, data: LoginRequest, settings: GatewaySettings, hasher: SecretHasher
) -> User | DomainError:
    username = data.username.lower()
    now = utc_now()
    # the name's counter is locked first: it serialises logins of one name, known or not
    throttle = await throttles.for_update(session, settings, username, now)
    user = await repository.by_username(session, username)
    locked = throttles.is_locked(throttle, now)
    # exactly one argon2 verification on every path (a dummy hash for unknown or locked names)
    password_ok = await hasher.verify_off_loop(
        user.password_hash if user is not None and not locked else None, data.password
    )
    if locked:
        log.info("login.refused_locked")
        return _refused()
    if user is None or not password_ok or user.disabled_at is not None:
        return await _failed(session, throttle, user, settings, now)
    if user.totp_secret is None:
        if "admin" in user.roles:
            log.warning("login.admin_without_totp")
            return await _failed(session, throttle, user, settings, now)
    else:
        # a right password without a right, fresh code is a failure like any other
        step = _totp_step(user.totp_secret, data.totp, time.time()) if data.totp else None
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return await _failed(session, throttle, user, settings, now)
        user.totp_last_step = step
    await repository.clear_throttle(session, throttle.name_key)
    await session.flush()
    return user


async def refresh(
    session: AsyncSession,
    token: str,
    settings: GatewaySettings,
    keyring: Keyring,
    denylist: DenyList,
) -> TokenPair | DomainError:
    invalid = Unauthorized("invalid refresh token")
    row = await repository.refresh_by_hash(session, hashing.digest(token))
    now = utc_now()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return invalid
    if row.client_id is not None or row.user_id is None:
        return invalid  # a browser session refreshes through its cookie (/oauth/token)
    user = await repository.user_by_id(session, row.user_id)
    if row.used_at is not None:
        # an old token came back: someone holds a copy. End the whole family.
        await repository.revoke_family(session, row.family_id, now)
        live = await repository.live_access_tokens(session, now, family_id=row.family_id)
        await end_access(session, denylist, live, "refresh token reused")
        await trail.record(
            session,
            "refresh.reused",
            entity_type="user",
            entity_id=user.username if user else "unknown",
            payload={"family": str(row.family_id)},
        )
        log.warning("refresh.reused")
        return invalid
    if user is None or user.disabled_at is not None:
        return invalid
    row.used_at = now
    await session.flush()
    return await _issue(session, user, settings, keyring, family_id=row.family_id)


async def logout(session: AsyncSession, token: str, denylist: DenyList) -> None:
    """End the session: its refresh tokens and, at once, its access tokens."""
    row = await repository.refresh_by_hash(session, hashing.digest(token))
    if row is not None:
        now = utc_now()
        await repository.revoke_family(session, row.family_id, now)
        live = await repository.live_access_tokens(session, now, family_id=row.family_id)
        await end_access(session, denylist, live, "logout")


async def change_password(
    session: AsyncSession,
    caller: Caller,
    data: PasswordChange,
    settings: GatewaySettings,
    denylist: DenyList,
    hasher: SecretHasher,
) -> DomainError | None:
    """A person changes their own password; every session of theirs ends at once: refresh
    tokens revoked, access tokens deny-listed (the one used here too)."""
    # people signed in here: by /v1/auth/login, or through a browser client's code flow
    local = {WEB_CLIENT_ID} | {c.client_id for c in settings.effective_browser_clients()}
    if caller.kind != "user" or caller.client_id not in local:
        raise Forbidden("only people with a local account change a password here")
    now = utc_now()
    # the same lock order as login (the name's counter, then the account)
    throttle = await throttles.for_update(session, settings, caller.subject, now)
    user = await repository.by_username(session, caller.subject, lock=True)
    if user is None:
        raise Forbidden("only people with a local account change a password here")
    locked = throttles.is_locked(throttle, now)
    password_ok = await hasher.verify_off_loop(
        None if locked else user.password_hash, data.current_password
    )
    if locked:
        return _refused()
    if not password_ok:
        return await _failed(session, throttle, user, settings, now)
    check_password(data.new_password, user.username)
    user.password_hash = hasher.hash(data.new_password)
    await repository.revoke_user(session, user.id, now)
    live = await repository.live_access_tokens(session, now, user_id=user.id)
    await end_access(session, denylist, live, "password changed")
    await trail.record(
        session,
        "user.password_changed",
        entity_type="user",
        entity_id=user.username,
        actor=caller.as_actor(),
    )
    return None


async def create(
    session: AsyncSession, data: UserCreate, actor: Caller, hasher: SecretHasher
) -> UserCreated:
    unknown = set(data.roles) - ROLES
    if unknown:
        raise InvalidInput("unknown roles", extensions={"roles": sorted(unknown)})
    check_password(data.password, data.username)
    if not await agency_exists(session, data.agency):
        raise InvalidInput("unknown agency", extensions={"field": "agency"})
    if await repository.by_username(session, data.username):
        raise Conflict("a user with this username exists")
    totp_secret = pyotp.random_base32() if "admin" in data.roles else None
    user = User(
        id=uuid.uuid4(),
        username=data.username,
        agency=data.agency,
        roles=sorted(set(data.roles)),
        password_hash=hasher.hash(data.password),
        totp_secret=totp_secret,
        created_at=utc_now(),
    )
    await repository.add(session, user)
    await trail.record(
        session,
        "user.created",
        entity_type="user",
        entity_id=user.username,
        actor=actor.as_actor(),
        payload={"agency": user.agency, "roles": user.roles},
    )
    base = out(user)
    return UserCreated(
        **base.model_dump(),
        totp_secret=totp_secret,
        totp_uri=pyotp.TOTP(totp_secret).provisioning_uri(
            name=user.username, issuer_name="Improvement platform"
        )
        if totp_secret
        else None,
    )


async def _get(session: AsyncSession, username: str) -> User:
    user = await repository.by_username(session, username)
    if user is None:
        raise NotFound("no such user")
    return user


#: the fields ``?sort=`` of the accounts allows
USER_SORT = tuple(repository.USER_SORT)


async def list_all(
    session: AsyncSession, settings: GatewaySettings, sort: list[SortKey], page: PageParams
) -> Page[UserRead]:
    """One page of the accounts, by username unless ``sort`` says otherwise, each with its
    lock if locked."""
    users, total = await repository.page_users(session, sort, page)
    locks = await throttles.locked_until(session, settings, [u.username for u in users], utc_now())
    return page_of([out(u, locks[u.username]) for u in users], total, page)


async def disable(
    session: AsyncSession, username: str, actor: Caller, settings: GatewaySettings
) -> UserRead:
    user = await _get(session, username)
    now = utc_now()
    user.disabled_at = user.disabled_at or now
    await repository.revoke_user(session, user.id, now)
    until = now + timedelta(seconds=settings.access_token_ttl_s + DENY_MARGIN_S)
    await keys_repository.upsert_deny(session, "user", user.username, "user disabled", until)
    await trail.record(
        session, "user.disabled", entity_type="user", entity_id=username, actor=actor.as_actor()
    )
    locks = await throttles.locked_until(session, settings, [user.username], now)
    return out(user, locks[user.username])


async def unlock(
    session: AsyncSession, username: str, actor: Caller, settings: GatewaySettings
) -> UserRead:
    user = await _get(session, username)
    await throttles.clear(session, settings, user.username)
    await trail.record(
        session, "user.unlocked", entity_type="user", entity_id=username, actor=actor.as_actor()
    )
    return out(user)
