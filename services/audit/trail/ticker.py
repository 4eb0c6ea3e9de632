"""The checkpoint ticker: every ``AUDIT_CHECKPOINT_EVERY_S``, sign and anchor the tail.

Appends already checkpoint every ``AUDIT_CHECKPOINT_EVERY_EVENTS`` events; the ticker bounds
the tail in time too: an event is covered by an anchored checkpoint at most one period after
it was recorded (plus the time a tick takes), even when nothing else is appended.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from services.audit.trail import service
from shared.logs import get_logger

log = get_logger(__name__)


async def tick(app: FastAPI) -> None:
    """One round: a checkpoint of the head when events lie after the latest anchored one."""
    async with app.state.sessionmaker() as session:
        made = await service.checkpoint_tail(
            session, app.state.trail_signer, app.state.trail_anchor
        )
        await session.commit()
    if made is not None:
        log.info("trail.checkpointed", seq=made.seq)


async def _run(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(app.state.settings.checkpoint_every_s)
        try:
            await tick(app)
        except (OSError, SQLAlchemyError) as exc:  # database away: try again next period
            log.warning("trail.checkpoint_tick_failed", error_type=type(exc).__name__)


async def start(app: FastAPI) -> None:
    if app.state.trail_anchor is not None:
        app.state.trail_anchor.create()
    app.state.trail_ticker = asyncio.create_task(_run(app), name="trail-checkpoints")


async def stop(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, "trail_ticker", None)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    with contextlib.suppress(OSError, SQLAlchemyError):
        await tick(app)  # leave no tail behind on a clean stop
