"""Reminders: one consolidated event per owner per day, idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.actions.reminders.service import run_reminders
from tests.actions.conftest import count
from tests.actions.factories import action, make_plan
from tests.support.apps import session_on
from tests.support.database import ThrowawayDatabase

DAY = date(2030, 3, 1)


async def _scenario(conn: AsyncConnection) -> int:
    await conn.execute(text("UPDATE actions.plan SET status = 'closed'"))  # only this plan
    plan = await make_plan(
        conn,
        "Reminder plan",
        [
            action("1A1", due_date="2030-02-15", owners=("Test Owner",)),  # overdue, never updated
            action("1A2", due_date="2030-03-10", owners=("Test Owner",)),  # due soon, fresh update
            action("1B1", due_date="2030-03-12", owners=("Second Owner",)),  # due soon, stale
            action("2A1", due_date="2030-02-28", owners=("Second Owner",)),  # completed
            action("2A2", due_date="2030-12-31", owners=("Test Owner", "Second Owner")),  # later
        ],
    )
    for ref, last in (
        ("1A2", datetime(2030, 2, 25, tzinfo=UTC)),
        ("1B1", datetime(2030, 1, 10, tzinfo=UTC)),
    ):
        await conn.execute(
            text("UPDATE actions.action SET last_update_at=:t WHERE plan_id=:p AND ref=:r"),
            {"t": last, "p": plan, "r": ref},
        )
    await conn.execute(
        text("UPDATE actions.action SET status='completed' WHERE plan_id=:p AND ref='2A1'"),
        {"p": plan},
    )
    return plan


async def test_one_reminder_per_owner_per_day(conn: AsyncConnection) -> None:
    await _scenario(conn)
    session = session_on(conn)
    outbox_before = await count(conn, "SELECT count(*) FROM actions.outbox")
    assert await run_reminders(session, DAY, 14, 14) == 2
    await session.flush()
    rows = (
        await conn.execute(
            text(
                "SELECT o.title, r.action_refs FROM actions.reminder r "
                "JOIN actions.owner o USING (owner_id) WHERE r.reminder_date=:d ORDER BY o.title"
            ),
            {"d": DAY},
        )
    ).all()
    assert [(t, list(refs)) for t, refs in rows] == [
        ("Second Owner", ["1B1"]),
        ("Test Owner", ["1A1"]),
    ]
    events = (
        (
            await conn.execute(
                text(
                    "SELECT payload FROM actions.outbox WHERE event_type='reminder.due' "
                    "ORDER BY seq OFFSET 0"
                ),
            )
        )
        .scalars()
        .all()
    )
    assert sorted(e["owner"] for e in events) == ["Second Owner", "Test Owner"]
    assert all(e["reminder_date"] == "2030-03-01" for e in events)
    # the same day again: nothing new
    assert await run_reminders(session, DAY, 14, 14) == 0
    assert await count(conn, "SELECT count(*) FROM actions.outbox") == outbox_before + 2
    # the next day: reminded again
    assert await run_reminders(session, date(2030, 3, 2), 14, 14) == 2


async def test_the_command(
    actions_db: ThrowawayDatabase,
    actions_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    from services.actions.reminders.__main__ import main

    monkeypatch.setenv("ACTIONS_DATABASE_URL", actions_db.service_url("actions"))
    monkeypatch.setenv("ACTIONS_PROFILE", "test")
    day = "2031-06-01"
    try:
        # every seed action is long overdue and never updated: each owner is reminded once
        assert await asyncio.to_thread(main, ["--date", day]) == 0
        assert await asyncio.to_thread(main, ["--date", day]) == 0
        out = capsys.readouterr().out.splitlines()
        first, second = (
            int(line.rsplit(" ", 1)[1]) for line in out if line.startswith("reminders recorded:")
        )
        assert first > 0
        assert second == 0
    finally:
        async with actions_engine.begin() as c:
            await c.execute(
                text(
                    "DELETE FROM actions.outbox WHERE event_type='reminder.due' "
                    "AND payload->>'reminder_date' = :d"
                ),
                {"d": day},
            )
            await c.execute(
                text("DELETE FROM actions.reminder WHERE reminder_date = :d"),
                {"d": date.fromisoformat(day)},
            )
