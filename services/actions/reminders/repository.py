"""Every SQL statement of reminders: who needs a nudge, the once-a-day record, the listing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action, ActionOwner
from services.actions.actions.rag import DONE
from services.actions.plans.models import Owner, Plan
from services.actions.reminders.models import Reminder


async def needing_a_nudge(
    session: AsyncSession, today: date, due_within_days: int, stale_after_days: int
) -> dict[int, list[str]]:
    """Owner id → refs of their open actions due within N days (or overdue) and not updated
    for M days, in active plans."""
    horizon = cast(literal(today + timedelta(days=due_within_days)), Date)
    stale_before = datetime.combine(today - timedelta(days=stale_after_days), time.min, tzinfo=UTC)
    rows = await session.execute(
        select(ActionOwner.owner_id, Action.ref)
        .join(Action, Action.action_id == ActionOwner.action_id)
        .join(Plan, Plan.plan_id == Action.plan_id)
        .where(
            Plan.status == "active",
            Action.status.not_in((*DONE, "deferred")),
            Action.due_on <= horizon,
            or_(Action.last_update_at.is_(None), Action.last_update_at < stale_before),
        )
        .order_by(ActionOwner.owner_id, Action.ref)
    )
    found: dict[int, list[str]] = {}
    for owner_id, ref in rows:
        found.setdefault(owner_id, []).append(ref)
    return found


async def add_once(session: AsyncSession, owner_id: int, day: date, refs: list[str]) -> bool:
    """Record the owner's reminder for ``day``; False when one was already recorded."""
    inserted = await session.scalar(
        insert(Reminder)
        .values(owner_id=owner_id, reminder_date=day, action_refs=refs)
        .on_conflict_do_nothing()
        .returning(Reminder.owner_id)
    )
    return inserted is not None


async def owner(session: AsyncSession, owner_id: int) -> Owner | None:
    return await session.get(Owner, owner_id)


async def recorded_on(
    session: AsyncSession, day: date, owner_id: int | None, *, limit: int, offset: int
) -> tuple[list[tuple[Reminder, str, str]], int]:
    """The reminders recorded for ``day`` with their owner's title and agency, by owner title."""
    stmt = (
        select(Reminder, Owner.title, Owner.agency)
        .join(Owner, Owner.owner_id == Reminder.owner_id)
        .where(Reminder.reminder_date == day)
    )
    if owner_id is not None:
        stmt = stmt.where(Reminder.owner_id == owner_id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.execute(
        stmt.order_by(Owner.title, Reminder.owner_id).limit(limit).offset(offset)
    )
    return [(r, title, agency) for r, title, agency in rows], total or 0
