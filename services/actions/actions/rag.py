"""Trajectory RAG: progress against the time elapsed between an action's start and due date.

- completed or embedded: green;
- no due date: none;
- overdue (today after the due date) and not complete: red;
- on or before the start: green;
- otherwise expected = 100 x elapsed / span days; percent >= expected is green,
  percent >= expected - 25 amber, less red. On the due date itself expected is 100.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, bindparam, case, or_
from sqlalchemy.sql.elements import ColumnElement

from services.actions.actions.models import Action

DONE = ("completed", "embedded")
AMBER_MARGIN = 25


def trajectory_rag(
    status: str, percent: int, start_on: date, due_on: date | None, today: date
) -> str | None:
    if status in DONE:
        return "green"
    if due_on is None:
        return None
    if today > due_on:
        return "red"
    if today <= start_on:
        return "green"
    elapsed, span = (today - start_on).days, (due_on - start_on).days
    if percent * span >= 100 * elapsed:
        return "green"
    if (percent + AMBER_MARGIN) * span >= 100 * elapsed:
        return "amber"
    return "red"


def is_overdue(status: str, due_on: date | None, today: date) -> bool:
    return due_on is not None and today > due_on and status not in DONE


#: today's date, bound at execution (``{"today": date}``) so statements are built once
TODAY = bindparam("today", type_=Date)


def _trajectory_rag_sql() -> ColumnElement[Any]:
    """The same rule as :func:`trajectory_rag`, as a SQL expression on ``action``."""
    elapsed = TODAY - Action.start_on
    span = Action.due_on - Action.start_on
    return case(
        (Action.status.in_(DONE), "green"),
        (Action.due_on.is_(None), None),
        (Action.due_on < TODAY, "red"),
        (Action.start_on >= TODAY, "green"),
        (Action.percent_complete * span >= 100 * elapsed, "green"),
        ((Action.percent_complete + AMBER_MARGIN) * span >= 100 * elapsed, "amber"),
        else_="red",
    )


RAG_SQL = _trajectory_rag_sql()
# an action without a due date is never overdue (and never NULL: the flag is a boolean)
OVERDUE_SQL: ColumnElement[bool] = (
    Action.due_on.is_not(None) & (Action.due_on < TODAY) & Action.status.not_in(DONE)
)
NOT_OVERDUE_SQL: ColumnElement[bool] = or_(
    Action.due_on.is_(None), Action.due_on >= TODAY, Action.status.in_(DONE)
)
