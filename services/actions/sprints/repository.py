"""SQL for sprints and their actions."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action
from services.actions.sprints.calendar import sprint_bounds, sprint_count
from services.actions.sprints.models import Sprint
from shared.pagination import PageParams, SortKey, order_by, page_scalars

#: field → column for ``?sort=`` (ties broken by the sprint's id)
SPRINT_SORT = {
    "sprint_id": Sprint.sprint_id,
    "plan_id": Sprint.plan_id,
    "number": Sprint.number,
    "start_date": Sprint.start_date,
    "end_date": Sprint.end_date,
    "status": Sprint.status,
}


async def list_sprints(
    session: AsyncSession, plan_id: int | None, sort: list[SortKey], page: PageParams
) -> tuple[list[Sprint], int]:
    stmt = select(Sprint).order_by(*order_by(sort, SPRINT_SORT, Sprint.sprint_id))
    if plan_id is not None:
        stmt = stmt.where(Sprint.plan_id == plan_id)
    return await page_scalars(session, stmt, page)


async def get_sprint(session: AsyncSession, sprint_id: int, *, lock: bool = False) -> Sprint | None:
    stmt = select(Sprint).where(Sprint.sprint_id == sprint_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def next_sprint(session: AsyncSession, plan_id: int, number: int) -> Sprint | None:
    return await session.scalar(
        select(Sprint).where(Sprint.plan_id == plan_id, Sprint.number == number + 1)
    )


async def earlier_open(session: AsyncSession, plan_id: int, number: int) -> list[int]:
    """Numbers of the plan's sprints before ``number`` still open."""
    rows = await session.scalars(
        select(Sprint.number)
        .where(Sprint.plan_id == plan_id, Sprint.number < number, Sprint.status != "closed")
        .order_by(Sprint.number)
    )
    return list(rows)


async def insert_sprints(session: AsyncSession, plan_id: int, start: date, end: date) -> int:
    """The plan's 12-week sprints from ``start`` to ``end`` (the last cut at the end)."""
    rows = [
        {
            "plan_id": plan_id,
            "number": n,
            "start_date": sprint_bounds(start, n)[0],
            "end_date": min(sprint_bounds(start, n)[1], end),
        }
        for n in range(1, sprint_count(start, end) + 1)
    ]
    await session.execute(insert(Sprint), rows)
    return len(rows)


async def actions_in(session: AsyncSession, plan_id: int, number: int) -> list[Action]:
    rows = await session.scalars(
        select(Action)
        .where(Action.plan_id == plan_id, Action.sprint_number == number)
        .order_by(Action.ref)
        .with_for_update()
    )
    return list(rows)


async def move_actions(session: AsyncSession, action_ids: list[int], number: int) -> None:
    if action_ids:
        await session.execute(
            update(Action)
            .where(Action.action_id.in_(action_ids))
            .values(sprint_number=number, version=Action.version + 1, updated_at=func.now())
        )


async def close(session: AsyncSession, sprint_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(Sprint)
        .where(Sprint.sprint_id == sprint_id)
        .values(**values, status="closed", version=Sprint.version + 1)
    )
