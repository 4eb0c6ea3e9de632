"""The emergency deny list: client ids, user ids and token ids refused at once.

The instance that records an entry applies it on the next request; other instances reload
the list every ``deny_cache_s`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.gateway.keys import repository
from shared.clock import utc_now
from shared.logs import get_logger

KINDS = ("client", "user", "jti")
log = get_logger("gateway.denylist")


class DenyList:
    def __init__(self, sessions: Callable[[], async_sessionmaker[AsyncSession]], cache_s: float):
        self._sessions = sessions
        self._cache_s = cache_s
        self._entries: frozenset[tuple[str, str]] = frozenset()
        self._loaded_at = -1e9
        self._lock = asyncio.Lock()

    def note(self, kind: str, value: str) -> None:
        self._entries = self._entries | {(kind, value)}

    def forget(self, kind: str, value: str) -> None:
        self._entries = self._entries - {(kind, value)}

    def invalidate(self) -> None:
        self._loaded_at = -1e9

    async def _refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._loaded_at < self._cache_s:
                return
            try:
                async with self._sessions()() as session:
                    rows = await repository.deny_entries(session, utc_now())
            except (OSError, SQLAlchemyError) as exc:
                # keep the last list (and what this instance noted) until the database is back
                log.warning("denylist.refresh_failed", error_type=type(exc).__name__)
                self._loaded_at = time.monotonic()
                return
            self._entries = frozenset(rows)
            self._loaded_at = time.monotonic()

    async def denied(self, *, client_id: str | None, subject: str, jti: str | None) -> bool:
        if time.monotonic() - self._loaded_at >= self._cache_s:
            await self._refresh()
        entries = self._entries
        if not entries:
            return False
        return (
            (client_id is not None and ("client", client_id) in entries)
            or ("user", subject) in entries
            or (jti is not None and ("jti", jti) in entries)
        )
