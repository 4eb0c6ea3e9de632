"""Slow hashes (argon2id) for client secrets and passwords; new random secrets.

The hasher is an object: ``create_app`` builds one from the settings
(:meth:`SecretHasher.from_settings`) and holds it on ``app.state.hasher``; routers pass it
to the services that hash or verify (``deps.HasherDep``). Nothing here is configured by
mutating the module."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared.problems import ServiceUnavailable

if TYPE_CHECKING:
    from services.gateway.config import GatewaySettings


class TooManyChecks(ServiceUnavailable):
    code, title = "too-many-password-checks", "Too many password checks at once"


class SecretHasher:
    """argon2id hashing and verification, with at most ``max_checks`` verifications at once
    (running or queued) per process: one more is refused at once (503 with Retry-After)
    instead of queueing without end."""

    def __init__(self, argon2: PasswordHasher | None = None, *, max_checks: int = 16) -> None:
        self.argon2 = argon2 or PasswordHasher()  # argon2id, RFC 9106 low-memory defaults
        #: Verified against when the account is unknown, so timing does not reveal which
        #: ids exist.
        self._dummy = self.argon2.hash("not-a-real-secret")
        self.max_checks = max_checks
        #: Password and secret checks running or waiting for a worker thread.
        self.checks_in_flight = 0
        self._holding_slot: ContextVar[bool] = ContextVar("holding_check_slot", default=False)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> SecretHasher:
        """Cheap parameters under the test profile; the library's defaults otherwise."""
        cheap = settings.profile == "test"
        argon2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if cheap else None
        return cls(argon2, max_checks=settings.password_checks_max)

    def hash(self, secret: str) -> str:
        return self.argon2.hash(secret)

    def verify(self, stored: str | None, secret: str) -> bool:
        try:
            return self.argon2.verify(stored or self._dummy, secret) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify_off_loop(self, stored: str | None, secret: str) -> bool:
        """``verify`` in a worker thread: argon2 takes tens to hundreds of milliseconds of
        CPU, and on the event loop a burst of logins stalled every other request (found by
        the load profile: 50 logins at once gave 5xx and seconds of latency on reads).

        Over the cap of concurrent checks it raises :class:`TooManyChecks` before any work,
        the same answer whoever is asking."""
        async with self.check_slot():
            return await asyncio.to_thread(self.verify, stored, secret)

    @contextlib.asynccontextmanager
    async def check_slot(self) -> AsyncIterator[None]:
        """Hold one of the password-check slots — taken before a login touches the database,
        so logins waiting for a worker thread never hold pooled connections beyond the cap.
        Re-entrant: inside a held slot it takes no second one."""
        if self._holding_slot.get():
            yield
            return
        if self.checks_in_flight >= self.max_checks:
            raise TooManyChecks(
                "too many password checks in progress; try again shortly",
                headers={"Retry-After": "1"},
            )
        self.checks_in_flight += 1
        token = self._holding_slot.set(True)
        try:
            yield
        finally:
            self._holding_slot.reset(token)
            self.checks_in_flight -= 1


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token (refresh tokens): fast lookup, nothing reversible."""
    return hashlib.sha256(token.encode()).hexdigest()
