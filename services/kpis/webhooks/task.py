"""The webhook dispatcher loop of a running kpis (an asyncio task of the lifespan).

Every replica runs the loop; a round does work only in the replica that locks the
dispatcher's cursor row (``FOR UPDATE SKIP LOCKED``), the others skip it. Off in the
``test`` profile and when ``KPIS_WEBHOOK_INTERVAL_S`` is 0 or no webhook key is set.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import aiohttp
from fastapi import FastAPI

from services.kpis.config import KpisSettings
from services.kpis.webhooks.service import dispatch_once
from shared.logs import get_logger

log = get_logger(__name__)
Hook = Callable[[FastAPI], Awaitable[None]]


def client(settings: KpisSettings) -> aiohttp.ClientSession:
    """No cookies, no proxies from the environment, no redirects followed (per request)."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.webhook_timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
    )


async def _loop(app: FastAPI, settings: KpisSettings) -> None:
    async with client(settings) as http:
        while True:
            try:
                await dispatch_once(app.state.sessionmaker, settings, http)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop outlives a failed round
                log.warning("webhooks.round_failed", error_type=type(exc).__name__)
            await asyncio.sleep(settings.webhook_interval_s)


def hooks(settings: KpisSettings) -> tuple[Hook, Hook]:
    enabled = (
        settings.webhook_interval_s > 0
        and settings.profile != "test"
        and settings.webhook_box_key() is not None
    )

    async def start(app: FastAPI) -> None:
        if enabled:
            app.state.webhook_task = asyncio.create_task(_loop(app, settings))

    async def stop(app: FastAPI) -> None:
        task = getattr(app.state, "webhook_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return start, stop
