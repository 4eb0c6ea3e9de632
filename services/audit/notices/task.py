"""The running service's daily notice job (an asyncio task owned by the lifespan).

Each round, one replica at a time does the work: the one that gets a PostgreSQL session
advisory lock (``pg_try_advisory_lock``) on a connection of its own for the round; the
others skip it. A round sends only what the delivery log has not recorded for the day, so
rounds every ``finding_notices_interval_s`` send each owner one notice a day.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.audit.config import AuditSettings
from services.audit.notices.service import send_overdue_notices
from shared.clock import utc_today
from shared.logs import get_logger
from shared.notify import channel_for

log = get_logger(__name__)
Hook = Callable[[FastAPI], Awaitable[None]]

#: Names the advisory lock (per database) held by the replica running a round.
LOCK_KEY = "audit:finding-notices"


class NoticeRunner:
    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: AuditSettings,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.today = today
        self.channel = channel_for(settings)

    async def round(self) -> Counter[str] | None:
        """One round: the outcomes counted, or None when another replica holds the lock."""
        conn = await self.engine.connect()
        try:
            got = await conn.scalar(
                text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": LOCK_KEY}
            )
            await conn.commit()
            if not got:
                return None
            try:
                return await send_overdue_notices(
                    self.sessionmaker, self.channel, self.settings, self.today()
                )
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": LOCK_KEY})
                await conn.commit()
        except BaseException:
            # a pooled connection would keep a session lock alive: close it for good
            with contextlib.suppress(Exception):
                await conn.invalidate()
            raise
        finally:
            with contextlib.suppress(Exception):
                await conn.close()


async def _loop(app: FastAPI, settings: AuditSettings) -> None:
    runner = NoticeRunner(app.state.engine, app.state.sessionmaker, settings)
    while True:
        try:
            await runner.round()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the job must outlive a failed run
            log.warning("finding_notices.failed", error_type=type(exc).__name__)
        await asyncio.sleep(settings.finding_notices_interval_s)


def hooks(settings: AuditSettings) -> tuple[list[Hook], list[Hook]]:
    """Startup and shutdown hooks; none when the interval is 0 or the profile is test."""
    if settings.finding_notices_interval_s <= 0 or settings.profile == "test":
        return [], []

    async def start(app: FastAPI) -> None:
        app.state.finding_notice_task = asyncio.create_task(
            _loop(app, settings), name="finding-notices"
        )

    async def stop(app: FastAPI) -> None:
        task = getattr(app.state, "finding_notice_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return [start], [stop]
