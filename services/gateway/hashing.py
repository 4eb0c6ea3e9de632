"""Slow hashes (argon2id) for client secrets and passwords; new random secrets."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import AsyncIterator
from contextvars import ContextVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared.problems import ServiceUnavailable

_hasher = PasswordHasher()  # argon2id, RFC 9106 low-memory defaults
#: Verified against when the account is unknown, so timing does not reveal which ids exist.
_DUMMY = _hasher.hash("not-a-real-secret")
#: Password and secret checks running or waiting for a worker thread, and the cap on them.
_checks_in_flight = 0
_max_checks = 16
_holding_slot: ContextVar[bool] = ContextVar("holding_password_check_slot", default=False)


class TooManyChecks(ServiceUnavailable):
    code, title = "too-many-password-checks", "Too many password checks at once"


def configure(*, time_cost: int, memory_kib: int) -> None:
    global _hasher, _DUMMY
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _DUMMY = _hasher.hash("not-a-real-secret")


def limit_checks(max_checks: int) -> None:
    """At most ``max_checks`` argon2 verifications at once (running or queued) per process;
    one more is refused at once (503 with Retry-After) instead of queueing without end."""
    global _max_checks
    _max_checks = max_checks


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, secret) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_secret_off_loop(stored: str | None, secret: str) -> bool:
    """``verify_secret`` in a worker thread: argon2 takes tens to hundreds of milliseconds
    of CPU, and on the event loop a burst of logins stalled every other request (found by
    the load profile: 50 logins at once gave 5xx and seconds of latency on reads).

    Over the cap of concurrent checks it raises :class:`TooManyChecks` before any work, the
    same answer whoever is asking."""
    if _holding_slot.get():
        return await asyncio.to_thread(verify_secret, stored, secret)
    async with check_slot():
        return await asyncio.to_thread(verify_secret, stored, secret)


@contextlib.asynccontextmanager
async def check_slot() -> AsyncIterator[None]:
    """Hold one of the password-check slots — taken before a login touches the database, so
    logins waiting for a worker thread never hold pooled connections beyond the cap."""
    global _checks_in_flight
    if _holding_slot.get():
        yield
        return
    if _checks_in_flight >= _max_checks:
        raise TooManyChecks(
            "too many password checks in progress; try again shortly",
            headers={"Retry-After": "1"},
        )
    _checks_in_flight += 1
    token = _holding_slot.set(True)
    try:
        yield
    finally:
        _holding_slot.reset(token)
        _checks_in_flight -= 1


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token (refresh tokens): fast lookup, nothing reversible."""
    return hashlib.sha256(token.encode()).hexdigest()
