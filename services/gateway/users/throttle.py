"""Failed logins counted per typed name, known or unknown alike (promise A9).

Every name gets the same counter, lockout and back-off, so neither the answers nor their
count tell an attacker which usernames exist. The counter is keyed by an HMAC of the
lower-cased name (people type passwords into the username field): the key comes from a
gateway secret held in the environment, never from the database.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.config import GatewaySettings
from services.gateway.users import repository
from services.gateway.users.models import LoginThrottle

_LABEL = b"improvement-platform gateway login-throttle v1\0"


def _key(settings: GatewaySettings) -> bytes:
    """Derived from the internal-token signing key (or, without one, the database URL with
    its password): both are secrets from the environment, neither is in the database."""
    secret = settings.internal_jwt_private_key or settings.database_url
    return hashlib.sha256(_LABEL + secret.get_secret_value().encode()).digest()


def name_key(settings: GatewaySettings, username: str) -> str:
    return hmac.new(_key(settings), username.lower().encode(), hashlib.sha256).hexdigest()


async def for_update(
    session: AsyncSession, settings: GatewaySettings, username: str, now: datetime
) -> LoginThrottle:
    forget_before = now - timedelta(seconds=settings.login_failure_window_s)
    return await repository.throttle_for_update(
        session, name_key(settings, username), now, forget_before
    )


def is_locked(throttle: LoginThrottle, now: datetime) -> bool:
    return throttle.locked_until is not None and throttle.locked_until > now


async def count_failure(
    session: AsyncSession, throttle: LoginThrottle, settings: GatewaySettings, now: datetime
) -> int | None:
    """One more failure; the lockout's length in seconds when this one locks the name."""
    throttle.failed_logins += 1
    throttle.last_failed_at = now
    seconds = None
    if throttle.failed_logins >= settings.lockout_threshold:
        throttle.lockouts += 1
        seconds = min(
            settings.lockout_base_s * 2 ** (throttle.lockouts - 1), settings.lockout_max_s
        )
        throttle.locked_until = now + timedelta(seconds=seconds)
        throttle.failed_logins = 0
    await session.flush()
    window = timedelta(seconds=settings.login_failure_window_s)
    await repository.forget_quiet_throttles(session, now - window, now)
    return seconds


async def locked_until(
    session: AsyncSession, settings: GatewaySettings, usernames: list[str], now: datetime
) -> dict[str, datetime | None]:
    """When each name's lockout ends (None when it is not locked)."""
    keys = {u: name_key(settings, u) for u in usernames}
    rows = await repository.throttles(session, list(keys.values()))
    out: dict[str, datetime | None] = {}
    for username, key in keys.items():
        row = rows.get(key)
        out[username] = row.locked_until if row is not None and is_locked(row, now) else None
    return out


async def clear(session: AsyncSession, settings: GatewaySettings, username: str) -> None:
    await repository.clear_throttle(session, name_key(settings, username))
