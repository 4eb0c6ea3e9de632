"""The running service's periodic reminder job (an asyncio task owned by the lifespan).

Every replica of actions runs the loop, but only one does the work: the replica holding a
PostgreSQL session advisory lock (``pg_try_advisory_lock``) on a connection of its own. The
others try for the lock each round and stand by; when the leader stops or its connection
drops, the lock goes with it and the next replica to try takes over. The reminders stay
idempotent in the database either way (one per owner per day); the lock stops the load and
the logs doubling with the replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from services.actions.config import ActionsSettings
from services.actions.reminders.delivery import deliver_reminders
from services.actions.reminders.service import run_reminders
from shared.clock import utc_today
from shared.logs import get_logger
from shared.notify import channel_for

log = get_logger(__name__)
Hook = Callable[[FastAPI], Awaitable[None]]

#: Names the advisory lock (per database) that elects the replica running the reminders.
LOCK_KEY = "actions:reminders"


def _today() -> date:
    return utc_today()


class ReminderRunner:
    """Runs the reminders in this replica only while it holds the leader lock."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: ActionsSettings,
        today: Callable[[], date] = _today,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.today = today
        self.channel = channel_for(settings)
        self.rounds_run = 0
        self.rounds_skipped = 0
        self._lock_conn: AsyncConnection | None = None

    async def _lead(self) -> bool:
        """True while this replica holds the lock (kept on a connection of its own)."""
        if self._lock_conn is not None:
            try:
                await self._lock_conn.execute(text("SELECT 1"))
                await self._lock_conn.commit()
                return True
            except Exception:  # the connection, and with it the lock, is gone
                await self._drop(self._lock_conn)
                self._lock_conn = None
                log.warning("reminders.leadership_lost")
        conn = await self.engine.connect()
        try:
            got = await conn.scalar(
                text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": LOCK_KEY}
            )
            await conn.commit()  # the lock is the session's: keep no transaction open
        except BaseException:
            await self._drop(conn)
            raise
        if got:
            self._lock_conn = conn
            log.info("reminders.leading")
            return True
        await conn.close()
        return False

    @staticmethod
    async def _drop(conn: AsyncConnection) -> None:
        """Close a connection for good: a pooled one would keep a session lock alive."""
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()

    async def round(self) -> int | None:
        """One round: the reminders recorded, or None when another replica leads."""
        if not await self._lead():
            self.rounds_skipped += 1
            return None
        today = self.today()
        async with self.sessionmaker() as session, session.begin():
            recorded = await run_reminders(
                session,
                today,
                self.settings.reminders_due_within_days,
                self.settings.reminders_stale_after_days,
            )
        # after the commit: no e-mail for a reminder that was rolled back
        await deliver_reminders(self.sessionmaker, self.channel, self.settings, today)
        self.rounds_run += 1
        return recorded

    async def close(self) -> None:
        """Give the lock up (another replica takes over on its next round)."""
        conn, self._lock_conn = self._lock_conn, None
        if conn is None:
            return
        try:
            await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": LOCK_KEY})
            await conn.commit()
            await conn.close()
        except Exception:
            await self._drop(conn)


async def _loop(app: FastAPI, settings: ActionsSettings) -> None:
    runner = ReminderRunner(app.state.engine, app.state.sessionmaker, settings)
    app.state.reminder_runner = runner
    try:
        while True:
            try:
                await runner.round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the job must outlive a failed run
                log.warning("reminders.failed", error_type=type(exc).__name__)
            await asyncio.sleep(settings.reminders_interval_s)
    finally:
        await runner.close()


def hooks(settings: ActionsSettings) -> tuple[list[Hook], list[Hook]]:
    """Startup and shutdown hooks; none when the interval is 0 or the profile is test."""
    if settings.reminders_interval_s <= 0 or settings.profile == "test":
        return [], []

    async def start(app: FastAPI) -> None:
        app.state.reminder_task = asyncio.create_task(_loop(app, settings))

    async def stop(app: FastAPI) -> None:
        task = getattr(app.state, "reminder_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return [start], [stop]
