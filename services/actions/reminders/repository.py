"""Every SQL statement of reminders: who needs a nudge, the once-a-day record, the listing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action, ActionOwner, ActionStep
from services.actions.actions.rag import DONE
from services.actions.plans.models import Owner, Plan
from services.actions.reminders.models import NotificationDelivery, Reminder
from shared.pagination import SortKey, order_by


async def needing_a_nudge(
    session: AsyncSession, today: date, due_within_days: int, stale_after_days: int
) -> dict[int, tuple[list[str], list[str]]]:
    """Owner id → (refs of their open actions, ``<ref>#<step>`` of their open steps) due within
    N days (or overdue) on actions not updated for M days, in active plans."""
    horizon = cast(literal(today + timedelta(days=due_within_days)), Date)
    stale_before = datetime.combine(today - timedelta(days=stale_after_days), time.min, tzinfo=UTC)
    needs_nudge = (
        Plan.status == "active",
        Action.status.not_in((*DONE, "deferred")),
        or_(Action.last_update_at.is_(None), Action.last_update_at < stale_before),
    )
    rows = await session.execute(
        select(ActionOwner.owner_id, Action.ref)
        .join(Action, Action.action_id == ActionOwner.action_id)
        .join(Plan, Plan.plan_id == Action.plan_id)
        .where(*needs_nudge, Action.due_on <= horizon)
        .order_by(ActionOwner.owner_id, Action.ref)
    )
    found: dict[int, tuple[list[str], list[str]]] = {}
    for owner_id, ref in rows:
        found.setdefault(owner_id, ([], []))[0].append(ref)
    steps = await session.execute(
        select(ActionStep.owner_id, Action.ref, ActionStep.number)
        .join(Action, Action.action_id == ActionStep.action_id)
        .join(Plan, Plan.plan_id == Action.plan_id)
        .where(
            *needs_nudge,
            ActionStep.owner_id.is_not(None),
            ActionStep.status != "completed",
            ActionStep.due_date <= horizon,
        )
        .order_by(ActionStep.owner_id, Action.ref, ActionStep.number)
    )
    for step_owner, ref, number in steps:
        if step_owner is not None:  # the query's filter; typed optional
            found.setdefault(step_owner, ([], []))[1].append(f"{ref}#{number}")
    return found


async def add_once(
    session: AsyncSession, owner_id: int, day: date, refs: list[str], step_refs: list[str]
) -> bool:
    """Record the owner's reminder for ``day``; False when one was already recorded."""
    inserted = await session.scalar(
        insert(Reminder)
        .values(owner_id=owner_id, reminder_date=day, action_refs=refs, step_refs=step_refs)
        .on_conflict_do_nothing()
        .returning(Reminder.owner_id)
    )
    return inserted is not None


async def owner(session: AsyncSession, owner_id: int) -> Owner | None:
    return await session.get(Owner, owner_id)


#: field → column for ``?sort=`` of a day's reminders (ties broken by the owner's id: one
#: reminder per owner a day)
REMINDER_SORT = {
    "owner_id": Reminder.owner_id,
    "owner": Owner.title,
    "agency": Owner.agency,
    "person": Owner.display_name,
    "created_at": Reminder.created_at,
}


async def recorded_on(
    session: AsyncSession,
    day: date,
    owner_id: int | None,
    sort: list[SortKey],
    *,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Any, ...]], int]:
    """(reminder, role title, agency, person's name, person's subject) recorded for ``day``,
    one page by owner title, and the total."""
    stmt = (
        select(Reminder, Owner.title, Owner.agency, Owner.display_name, Owner.user_subject)
        .join(Owner, Owner.owner_id == Reminder.owner_id)
        .where(Reminder.reminder_date == day)
    )
    if owner_id is not None:
        stmt = stmt.where(Reminder.owner_id == owner_id)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = await session.execute(
        stmt.order_by(*order_by(sort, REMINDER_SORT, Reminder.owner_id)).limit(limit).offset(offset)
    )
    return [tuple(r) for r in rows], total or 0


async def reminders_of(session: AsyncSession, day: date) -> list[tuple[Reminder, Owner]]:
    """Each reminder recorded for ``day`` with its owner, by owner id."""
    rows = await session.execute(
        select(Reminder, Owner)
        .join(Owner, Owner.owner_id == Reminder.owner_id)
        .where(Reminder.reminder_date == day)
        .order_by(Reminder.owner_id)
    )
    return [(r, o) for r, o in rows.all()]


async def deliveries_like(
    session: AsyncSession, kind: str, reference_pattern: str
) -> list[tuple[str, str]]:
    """(reference, outcome) of every delivery of ``kind`` whose reference is LIKE the pattern."""
    rows = await session.execute(
        select(NotificationDelivery.reference, NotificationDelivery.outcome).where(
            NotificationDelivery.kind == kind,
            NotificationDelivery.reference.like(reference_pattern),
        )
    )
    return [(ref, outcome) for ref, outcome in rows.all()]


async def record_delivery(session: AsyncSession, **values: object) -> None:
    session.add(NotificationDelivery(**values))
    await session.flush()
