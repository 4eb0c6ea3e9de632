"""Reminders: per owner, the open actions due within N days or overdue, and not updated for
M days, recorded once per owner per day as one consolidated outbox event (idempotent).

A step with an owner (an owner role linked to a person) and a due date is that owner's to
act on: an open step of an open action, due within N days or overdue, on an action not
updated for M days, is in its owner's reminder (``step_refs``, ``<ref>#<number>``), and
the reminder names the person (subject and display name) holding the role."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, cast, literal, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.actions.models import Action, ActionOwner, ActionStep
from services.actions.actions.rag import DONE
from services.actions.events import emit
from services.actions.plans.models import Owner, Plan
from services.actions.reminders import repository as repo
from services.actions.reminders.models import Reminder
from services.actions.reminders.schemas import ReminderRead, ReminderRun
from shared.clock import utc_today
from shared.identity import Caller
from shared.logs import get_logger

log = get_logger(__name__)


async def collect(
    session: AsyncSession, today: date, due_within_days: int, stale_after_days: int
) -> dict[int, tuple[list[str], list[str]]]:
    """Owner id → (refs of their actions, ``<ref>#<step>`` of their steps) needing a nudge."""
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


async def run_reminders(
    session: AsyncSession, today: date, due_within_days: int, stale_after_days: int
) -> int:
    """Record today's reminders; owners already reminded today are skipped. Returns how many
    reminders were recorded by this run."""
    found = await collect(session, today, due_within_days, stale_after_days)
    recorded = 0
    for owner_id, (refs, step_refs) in found.items():
        inserted = await session.scalar(
            insert(Reminder)
            .values(
                owner_id=owner_id,
                reminder_date=today,
                action_refs=sorted(set(refs)),
                step_refs=sorted(set(step_refs)),
            )
            .on_conflict_do_nothing()
            .returning(Reminder.owner_id)
        )
        if inserted is None:
            continue
        owner = await session.get(Owner, owner_id)
        await emit(
            session,
            None,
            "reminder.due",
            "owner",
            owner_id,
            {
                "owner": owner.title if owner else None,
                "agency": owner.agency if owner else None,
                "user_subject": owner.user_subject if owner else None,
                "person": owner.display_name if owner else None,
                "reminder_date": today.isoformat(),
                "action_refs": sorted(set(refs)),
                "step_refs": sorted(set(step_refs)),
                "due_within_days": due_within_days,
                "stale_after_days": stale_after_days,
            },
            purpose="reminder to action owners",
        )
        recorded += 1
    log.info("reminders.recorded", count=recorded, owners=len(found))
    return recorded


async def recorded(
    session: AsyncSession, on: date | None, owner_id: int | None
) -> list[ReminderRead]:
    """The reminders recorded for a day (default today), each naming its role and person."""
    rows = await repo.recorded_on(session, on or utc_today(), owner_id)
    return [
        ReminderRead(
            owner_id=r.owner_id,
            owner=title,
            agency=agency,
            person=person,
            user_subject=subject,
            reminder_date=r.reminder_date,
            action_refs=list(r.action_refs),
            step_refs=list(r.step_refs),
            created_at=r.created_at,
        )
        for r, title, agency, person, subject in rows
    ]


async def run_now(
    session: AsyncSession, caller: Caller, due_within_days: int, stale_after_days: int
) -> ReminderRun:
    """Collect today's reminders now (plan managers)."""
    access.require_plan_manager(caller)
    day = utc_today()
    return ReminderRun(
        reminder_date=day,
        recorded=await run_reminders(session, day, due_within_days, stale_after_days),
    )
