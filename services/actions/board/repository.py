"""The board summary in one statement: per action once (status, RAG, flags), then grouped
per theme and per agency. Built once at import; dates and the plan bind at execution."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action
from services.actions.actions.rag import DONE, OVERDUE_SQL, RAG_SQL, TODAY
from services.actions.plans.models import Theme


@dataclass(frozen=True)
class BoardWindow:
    today: date
    due_within_days: int
    completed_since: datetime
    changes_since: datetime


_PLAN = bindparam("plan_id", type_=Integer, required=False)
_HORIZON = bindparam("horizon", type_=Date)
_COMPLETED_SINCE = bindparam("completed_since", type_=DateTime(timezone=True))
_CHANGES_SINCE = bindparam("changes_since", type_=DateTime(timezone=True))

_per_action = (
    select(
        Theme.number.label("theme"),
        Theme.title.label("theme_title"),
        Action.lead_agency,
        Action.contributing_agencies,
        Action.status,
        Action.declared_rag,
        RAG_SQL.label("rag"),
        OVERDUE_SQL.label("overdue"),
        (
            Action.due_on.is_not(None)
            & (Action.due_on >= TODAY)
            & (Action.due_on <= _HORIZON)
            & Action.status.not_in(DONE)
        ).label("due_soon"),
        (Action.completed_at >= _COMPLETED_SINCE).label("completed"),
        (Action.updated_at >= _CHANGES_SINCE).label("changed"),
    )
    .join(Theme, Theme.theme_id == Action.theme_id)
    .where(or_(_PLAN.is_(None), Action.plan_id == _PLAN))
    .subquery("per_action")
)
_a = _per_action.c


#: one row per distinct combination (a few hundred at most); rolled up in Python
SUMMARY = select(
    _a.theme,
    _a.theme_title,
    _a.lead_agency,
    _a.contributing_agencies,
    _a.status,
    _a.declared_rag,
    _a.rag,
    _a.overdue,
    _a.due_soon,
    _a.completed,
    _a.changed,
    func.count().label("n"),
).group_by(
    _a.theme,
    _a.theme_title,
    _a.lead_agency,
    _a.contributing_agencies,
    _a.status,
    _a.declared_rag,
    _a.rag,
    _a.overdue,
    _a.due_soon,
    _a.completed,
    _a.changed,
)


async def summary_rows(
    session: AsyncSession, plan_id: int | None, w: BoardWindow
) -> list[dict[str, Any]]:
    params = {
        "plan_id": plan_id,
        "today": w.today,
        "horizon": w.today + timedelta(days=w.due_within_days),
        "completed_since": w.completed_since,
        "changes_since": w.changes_since,
    }
    return [dict(r) for r in (await session.execute(SUMMARY, params)).mappings()]
