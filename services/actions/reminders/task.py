"""The running service's periodic reminder job (an asyncio task owned by the lifespan)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from services.actions.config import ActionsSettings
from services.actions.reminders.service import run_reminders
from shared.logs import get_logger

log = get_logger(__name__)
Hook = Callable[[FastAPI], Awaitable[None]]


async def _loop(app: FastAPI, settings: ActionsSettings) -> None:
    while True:
        try:
            async with app.state.sessionmaker() as session, session.begin():
                await run_reminders(
                    session,
                    datetime.now(UTC).date(),
                    settings.reminders_due_within_days,
                    settings.reminders_stale_after_days,
                )
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the job must outlive a failed run
            log.warning("reminders.failed", error_type=type(exc).__name__)
        await asyncio.sleep(settings.reminders_interval_s)


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
