"""Rules for people: login with lockout and TOTP, rotating refresh tokens, administration.

A failed login is *returned* (not raised) so the request's transaction still commits the
failure count, the lockout and the trail event.
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
from services.gateway.keys import repository as keys_repository
from services.gateway.keys.keyring import Keyring
from services.gateway.policy import ROLES
from services.gateway.tokens.access import mint_access_token
from services.gateway.users import repository
from services.gateway.users.models import RefreshToken, User
from services.gateway.users.passwords import check_password
from services.gateway.users.schemas import (
    LoginIn,
    PasswordChange,
    TokenPair,
    UserCreate,
    UserCreated,
    UserOut,
)
from shared.identity import Caller
from shared.logs import get_logger
from shared.problems import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)

WEB_CLIENT_ID = "platform-web"
log = get_logger("gateway.login")


class LoginFailed(Unauthorized):
    code, title = "login-failed", "Login failed"


class AccountLocked(Unauthorized):
    code, title = "account-locked", "Account locked"


class TotpRequired(Unauthorized):
    code, title = "totp-required", "Second factor required"


def _actor(user: User) -> dict[str, object]:
    return Caller(
        subject=user.username, agency=user.agency, roles=frozenset(user.roles), kind="user"
    ).as_actor()


def out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        agency=user.agency,
        roles=list(user.roles),
        totp_enabled=user.totp_secret is not None,
        locked_until=user.locked_until,
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
    now = datetime.now(UTC)
    await repository.add(
        session,
        RefreshToken(
            id=uuid.uuid4(),
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=hashing.digest(refresh),
            issued_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_s),
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


async def _failed(
    session: AsyncSession, user: User | None, username: str, settings: GatewaySettings
) -> DomainError:
    now = datetime.now(UTC)
    # an unknown name is not recorded: people type their password into the username field
    await trail.record(
        session,
        "login.failed",
        entity_type="user",
        entity_id=user.username if user is not None else "unknown",
        actor=_actor(user) if user is not None else {},
        payload={"known": user is not None},
    )
    log.info("login.failed")
    if user is None:
        return LoginFailed("invalid username, password or code")
    user.failed_logins += 1
    if user.failed_logins >= settings.lockout_threshold:
        user.lockouts += 1
        seconds = min(settings.lockout_base_s * 2 ** (user.lockouts - 1), settings.lockout_max_s)
        user.locked_until = now + timedelta(seconds=seconds)
        user.failed_logins = 0
        await trail.record(
            session,
            "user.locked",
            entity_type="user",
            entity_id=user.username,
            actor=_actor(user),
            payload={"seconds": seconds},
        )
        log.warning("user.locked", seconds=seconds)
    await session.flush()
    return LoginFailed("invalid username, password or code")


async def login(
    session: AsyncSession, data: LoginIn, settings: GatewaySettings, keyring: Keyring
) -> TokenPair | DomainError:
    user = await repository.by_username(session, data.username.lower(), lock=True)
    now = datetime.now(UTC)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        return AccountLocked(
            "too many failed attempts; try again later", headers={"Retry-After": str(wait)}
        )
    password_ok = await hashing.verify_secret_off_loop(
        user.password_hash if user else None, data.password
    )
    if user is None or not password_ok or user.disabled_at is not None:
        return await _failed(session, user, data.username, settings)
    if user.totp_secret is None and "admin" in user.roles:
        return LoginFailed("admin accounts require a second factor; ask for TOTP enrolment")
    if user.totp_secret is not None:
        if data.totp is None:
            return TotpRequired("this account needs a TOTP code", extensions={"totp": True})
        step = _totp_step(user.totp_secret, data.totp, time.time())
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return await _failed(session, user, data.username, settings)
        user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
    await session.flush()
    return await _issue(session, user, settings, keyring)


async def refresh(
    session: AsyncSession, token: str, settings: GatewaySettings, keyring: Keyring
) -> TokenPair | DomainError:
    invalid = Unauthorized("invalid refresh token")
    row = await repository.refresh_by_hash(session, hashing.digest(token))
    now = datetime.now(UTC)
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return invalid
    user = await repository.user_by_id(session, row.user_id)
    if row.used_at is not None:
        # an old token came back: someone holds a copy. End the whole family.
        await repository.revoke_family(session, row.family_id, now)
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


async def logout(session: AsyncSession, token: str) -> None:
    row = await repository.refresh_by_hash(session, hashing.digest(token))
    if row is not None:
        await repository.revoke_family(session, row.family_id, datetime.now(UTC))


async def change_password(
    session: AsyncSession, caller: Caller, data: PasswordChange, settings: GatewaySettings
) -> DomainError | None:
    """A person changes their own password; every refresh token of theirs ends."""
    user = None
    if caller.kind == "user" and caller.client_id == WEB_CLIENT_ID:
        user = await repository.by_username(session, caller.subject, lock=True)
    if user is None:
        raise Forbidden("only people with a local account change a password here")
    if not await hashing.verify_secret_off_loop(user.password_hash, data.current_password):
        return await _failed(session, user, user.username, settings)
    check_password(data.new_password, user.username)
    now = datetime.now(UTC)
    user.password_hash = hashing.hash_secret(data.new_password)
    await repository.revoke_user(session, user.id, now)
    await trail.record(
        session,
        "user.password_changed",
        entity_type="user",
        entity_id=user.username,
        actor=caller.as_actor(),
    )
    return None


async def create(session: AsyncSession, data: UserCreate, actor: Caller) -> UserCreated:
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
        password_hash=hashing.hash_secret(data.password),
        totp_secret=totp_secret,
        failed_logins=0,
        lockouts=0,
        created_at=datetime.now(UTC),
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


async def disable(session: AsyncSession, username: str, actor: Caller, ttl_s: int) -> UserOut:
    user = await _get(session, username)
    now = datetime.now(UTC)
    user.disabled_at = user.disabled_at or now
    await repository.revoke_user(session, user.id, now)
    await keys_repository.upsert_deny(
        session, "user", user.username, "user disabled", now + timedelta(seconds=ttl_s + 120)
    )
    await trail.record(
        session, "user.disabled", entity_type="user", entity_id=username, actor=actor.as_actor()
    )
    return out(user)


async def unlock(session: AsyncSession, username: str, actor: Caller) -> UserOut:
    user = await _get(session, username)
    user.locked_until = None
    user.failed_logins = 0
    user.lockouts = 0
    await session.flush()
    await trail.record(
        session, "user.unlocked", entity_type="user", entity_id=username, actor=actor.as_actor()
    )
    return out(user)
