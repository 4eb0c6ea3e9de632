"""Trajectory RAG on boundary dates, in Python and in SQL (the two must agree)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.actions.models import Action
from services.actions.actions.rag import RAG_SQL, is_overdue, trajectory_rag
from tests.actions.factories import action, make_plan

START = date(2030, 1, 1)
DUE = date(2030, 4, 11)  # 100 days after the start: expected % = days elapsed

CASES = [
    # (status, percent, today, expected)
    ("not_started", 0, date(2029, 12, 1), "green"),  # before the start
    ("not_started", 0, START, "green"),  # on the start day
    ("in_progress", 10, date(2030, 1, 11), "green"),  # 10 days = 10 % expected: on track
    ("in_progress", 9, date(2030, 1, 11), "amber"),  # just behind
    ("in_progress", 0, date(2030, 1, 26), "amber"),  # 25 % expected, 0 done: amber edge
    ("in_progress", 0, date(2030, 1, 27), "red"),  # 26 % expected: red
    ("in_progress", 75, DUE, "amber"),  # due today: 100 % expected, 75 still amber
    ("in_progress", 74, DUE, "red"),
    ("in_progress", 100, DUE, "green"),  # not overdue on the due date itself
    ("in_progress", 99, date(2030, 4, 12), "red"),  # the day after: overdue and not complete
    ("blocked", 100, date(2030, 4, 12), "red"),  # 100 % but never completed: still overdue
    ("completed", 40, date(2031, 1, 1), "green"),  # completed is green whatever the date
    ("embedded", 0, date(2031, 1, 1), "green"),
]


@pytest.mark.parametrize(("status", "percent", "today", "expected"), CASES)
def test_python_rule(status: str, percent: int, today: date, expected: str) -> None:
    assert trajectory_rag(status, percent, START, DUE, today) == expected


def test_no_due_date_has_no_rag() -> None:
    assert trajectory_rag("in_progress", 10, START, None, date(2030, 5, 1)) is None


def test_overdue_boundary() -> None:
    assert not is_overdue("in_progress", DUE, DUE)
    assert is_overdue("in_progress", DUE, date(2030, 4, 12))
    assert not is_overdue("completed", DUE, date(2030, 4, 12))


async def test_sql_agrees_with_python(conn: AsyncConnection) -> None:
    plan = await make_plan(conn, "RAG plan", [action("1A1", due_date=DUE.isoformat())])
    action_id = await conn.scalar(
        text("SELECT action_id FROM actions.action WHERE plan_id=:p"), {"p": plan}
    )
    for status, percent, today, expected in CASES:
        await conn.execute(
            update(Action)
            .where(Action.action_id == action_id)
            .values(status=status, percent_complete=percent, start_on=START, due_on=DUE)
        )
        got = await conn.scalar(
            select(RAG_SQL).where(Action.action_id == action_id), {"today": today}
        )
        assert got == expected, (status, percent, today)
