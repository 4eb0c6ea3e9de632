"""A local SMTP sink (aiosmtpd) for notification tests: each message kept, the first
``failures`` refused with a temporary error so retries can be seen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from shared.devtools.embedded import free_port


class Sink:
    """An SMTP server's handler keeping each message; refuses the first ``failures``."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[tuple[list[str], bytes]] = []
        self.refused = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.failures:
            self.refused += 1
            return "451 Requested action aborted: try again later"
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def sink_factory() -> Iterator[Any]:
    """Starts sinks on free ports (``start(failures=0) -> (sink, port)``), stops them after."""
    started: list[Controller] = []

    def start(failures: int = 0) -> tuple[Sink, int]:
        handler, port = Sink(failures), free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


def savepoint_maker(conn: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions on the test's connection whose commits are savepoints (rolled back after)."""
    return async_sessionmaker(
        bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
