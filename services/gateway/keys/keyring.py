"""The access-token key set: which key signs now, which keys verify, what JWKS publishes.

Keys live in the database so every gateway instance shares them; each instance caches the
set for ``key_cache_s`` (shorter than the publish delay, so a rotated-in key is in every
instance's key set before any instance signs with it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.keys import repository
from services.gateway.keys.crypto import load_private, new_signing_key
from services.gateway.keys.models import SigningKey
from services.gateway.keys.wrapping import KeyWrapper, is_wrapped
from shared.clock import utc_now
from shared.logs import get_logger
from shared.problems import ServiceUnavailable

log = get_logger("gateway.keys")


@dataclass(frozen=True)
class KeySet:
    signer_kid: str | None
    signer: ec.EllipticCurvePrivateKey | None
    verifiers: dict[str, Any]
    jwks: list[dict[str, Any]]
    loaded_at: float = field(default_factory=time.monotonic)


def build_key_set(keys: list[SigningKey], now: datetime, wrapper: KeyWrapper) -> KeySet:
    signer: SigningKey | None = None
    verifiers: dict[str, Any] = {}
    for key in keys:
        verifiers[key.kid] = ECAlgorithm.from_jwk(dict(key.public_jwk))
        active = key.activate_at <= now and (key.retire_at is None or key.retire_at > now)
        if active and (signer is None or key.activate_at > signer.activate_at):
            signer = key
    return KeySet(
        signer_kid=signer.kid if signer else None,
        signer=load_private(wrapper.unwrap(signer.kid, signer.private_key_wrapped))
        if signer
        else None,
        verifiers=verifiers,
        jwks=[dict(k.public_jwk) for k in keys],
    )


class Keyring:
    def __init__(
        self,
        sessions: Callable[[], async_sessionmaker[AsyncSession]],
        cache_s: float,
        wrapper: KeyWrapper,
    ):
        self._sessions = sessions
        self.wrapper = wrapper
        self._cache_s = cache_s
        self._set: KeySet | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._set = None

    async def current(self, *, refresh: bool = False) -> KeySet:
        cached = self._set
        if (
            cached is not None
            and not refresh
            and time.monotonic() - cached.loaded_at < self._cache_s
        ):
            return cached
        async with self._lock:
            if self._set is not None and self._set is not cached:
                return self._set
            try:
                async with self._sessions()() as session:
                    keys = await repository.live_keys(session, utc_now())
            except (OSError, SQLAlchemyError) as exc:
                if self._set is None:
                    raise
                # keep verifying with the keys we have until the database is back
                log.warning("keys.refresh_failed", error_type=type(exc).__name__)
                self._set = dataclasses.replace(self._set, loaded_at=time.monotonic())
                return self._set
            self._set = build_key_set(keys, utc_now(), self.wrapper)
            return self._set

    async def signer(self) -> tuple[str, ec.EllipticCurvePrivateKey]:
        keys = await self.current()
        if keys.signer is None or keys.signer_kid is None:
            keys = await self.current(refresh=True)
        if keys.signer is None or keys.signer_kid is None:
            raise ServiceUnavailable("no active signing key; run the key rotation command")
        return keys.signer_kid, keys.signer

    async def verifier(self, kid: str) -> Any | None:
        keys = await self.current()
        found = keys.verifiers.get(kid)
        if found is None and time.monotonic() - keys.loaded_at > 1.0:
            # a key published by another instance since the last load (at most once a second)
            found = (await self.current(refresh=True)).verifiers.get(kid)
        return found


async def rotate(
    session: AsyncSession,
    *,
    wrapper: KeyWrapper,
    publish_delay_s: int,
    max_token_lifetime_s: int,
    now: datetime | None = None,
) -> SigningKey:
    """Add a new key: published now, signing after ``publish_delay_s``; the current key stops
    signing then and leaves the key set once every token it signed has expired."""
    now = now or utc_now()
    pem, jwk = new_signing_key()
    activate_at = now + timedelta(seconds=publish_delay_s)
    expire_at = activate_at + timedelta(seconds=max_token_lifetime_s + 120)
    await repository.retire_signing_keys(session, activate_at, expire_at)
    await repository.drop_expired_keys(session, now - timedelta(days=1))
    key = SigningKey(
        kid=jwk["kid"],
        private_key_wrapped=wrapper.wrap(jwk["kid"], pem),
        public_jwk=jwk,
        activate_at=activate_at,
    )
    await repository.add_key(session, key)
    log.info("key.rotated", kid=key.kid, activate_at=activate_at.isoformat())
    return key


async def ensure_signing_key(session: AsyncSession, wrapper: KeyWrapper) -> bool:
    """Create the first key when there is none (seed, tests). True when one was made."""
    if await repository.live_keys(session, utc_now()):
        return False
    await rotate(session, wrapper=wrapper, publish_delay_s=0, max_token_lifetime_s=600)
    return True


async def rewrap_keys(session: AsyncSession, wrapper: KeyWrapper) -> int:
    """Wrap every stored key with the current wrapping key: plain PEM rows from before keys
    were wrapped, and rows wrapped by the previous key during a rotation. Returns how many."""
    changed = 0
    for key in await repository.all_keys(session):
        if not wrapper.needs_rewrap(key.private_key_wrapped):
            continue
        stored = key.private_key_wrapped
        pem = stored if not is_wrapped(stored) else wrapper.unwrap(key.kid, stored)
        load_private(pem)  # a row that is not a key stops the rewrap, unchanged
        key.private_key_wrapped = wrapper.wrap(key.kid, pem)
        changed += 1
    await session.flush()
    if changed:
        log.info("keys.rewrapped", count=changed)
    return changed


async def check_unwrap(session: AsyncSession, wrapper: KeyWrapper) -> int:
    """Open every live key with ``wrapper`` (start-up): a wrong or missing wrapping key stops
    the gateway with :class:`WrappingKeyError` naming the key it needs. Returns how many."""
    keys = await repository.live_keys(session, utc_now())
    for key in keys:
        load_private(wrapper.unwrap(key.kid, key.private_key_wrapped))
    return len(keys)
