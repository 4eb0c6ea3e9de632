"""Scheduled reminders run in one replica, not in each (issue 22, item 3).

Each "replica" here has its own engine (its own connections), as two processes would; the
work is the real reminder run on a database of its own (the runs commit)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as make_engine

from services.actions.config import ActionsSettings
from services.actions.reminders import task
from tests.support.database import ThrowawayDatabase, fresh_database

SETTINGS = ActionsSettings(profile="test", reminders_interval_s=0)


@pytest.fixture(scope="module")
def reminders_db(pg_server: str) -> ThrowawayDatabase:
    return fresh_database(pg_server, label="rem")


@pytest.fixture
async def replicas(reminders_db: ThrowawayDatabase) -> AsyncIterator[list[AsyncEngine]]:
    engines = [make_engine(reminders_db.service_url("actions")) for _ in range(2)]
    yield engines
    for engine in engines:
        await engine.dispose()


class CountingSessions:
    """A sessionmaker that counts the reminder runs it opened a session for."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.maker = async_sessionmaker(engine)
        self.opened = 0

    def __call__(self) -> AsyncSession:
        self.opened += 1
        return self.maker()


def _runner(engine: AsyncEngine) -> task.ReminderRunner:
    return task.ReminderRunner(
        engine, async_sessionmaker(engine), SETTINGS, lambda: date(2030, 3, 1)
    )


async def test_two_replicas_one_runs_each_round(replicas: list[AsyncEngine]) -> None:
    first, second = (_runner(e) for e in replicas)
    try:
        results = []
        for _ in range(5):
            results.append((await first.round(), await second.round()))
        # the first to try leads every round; the other never runs the work
        assert all(a is not None and b is None for a, b in results), results
        assert (first.rounds_run, second.rounds_run) == (5, 0)
        assert second.rounds_skipped == 5
        # the leader stops (a rollout, a crash): the other takes over on its next round
        await first.close()
        assert await second.round() is not None
        assert await first.round() is None
    finally:
        await first.close()
        await second.close()


async def test_two_running_loops_do_the_work_in_one_only(replicas: list[AsyncEngine]) -> None:
    apps: list[Any] = [
        SimpleNamespace(state=SimpleNamespace(engine=e, sessionmaker=CountingSessions(e)))
        for e in replicas
    ]
    loops = [asyncio.create_task(task._loop(app, SETTINGS)) for app in apps]

    def rounds(app: Any) -> int:
        runner = getattr(app.state, "reminder_runner", None)
        return (runner.rounds_run + runner.rounds_skipped) if runner else 0

    def both_did_the_work() -> bool:
        return all(app.state.sessionmaker.opened for app in apps)

    async def five_rounds_each_or_work_twice() -> None:
        while min(rounds(app) for app in apps) < 5 and not both_did_the_work():
            if any(t.done() for t in loops):
                return
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(five_rounds_each_or_work_twice(), timeout=120)  # hang guard
    finally:
        for loop in loops:
            loop.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    assert not any(t.done() and not t.cancelled() and t.exception() for t in loops)
    opened = sorted(app.state.sessionmaker.opened for app in apps)
    assert opened[0] == 0, opened  # one replica never ran the reminders
    assert opened[1] >= 5, opened  # the other ran them every round
