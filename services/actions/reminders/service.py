"""Reminders: per owner, the open actions due within N days or overdue, and not updated for
M days, recorded once per owner per day as one consolidated outbox event (idempotent).

A step with an owner (an owner role linked to a person) and a due date is that owner's to
act on: an open step of an open action, due within N days or overdue, on an action not
updated for M days, is in its owner's reminder (``step_refs``, ``<ref>#<number>``), and
the reminder names the person (subject and display name) holding the role."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.events import emit
from services.actions.reminders import repository as repo
from services.actions.reminders.schemas import ReminderRead, ReminderRun
from shared.clock import utc_today
from shared.identity import Caller
from shared.logs import get_logger
from shared.pagination import Page, PageParams, SortKey

log = get_logger(__name__)


async def collect(
    session: AsyncSession, today: date, due_within_days: int, stale_after_days: int
) -> dict[int, tuple[list[str], list[str]]]:
    """Owner id → (refs of their actions, ``<ref>#<step>`` of their steps) needing a nudge."""
    return await repo.needing_a_nudge(session, today, due_within_days, stale_after_days)


async def run_reminders(
    session: AsyncSession, today: date, due_within_days: int, stale_after_days: int
) -> int:
    """Record today's reminders; owners already reminded today are skipped. Returns how many
    reminders were recorded by this run."""
    found = await collect(session, today, due_within_days, stale_after_days)
    recorded = 0
    for owner_id, (refs, step_refs) in found.items():
        if not await repo.add_once(
            session, owner_id, today, sorted(set(refs)), sorted(set(step_refs))
        ):
            continue
        owner = await repo.owner(session, owner_id)
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


async def run_now(
    session: AsyncSession, caller: Caller, due_within_days: int, stale_after_days: int
) -> ReminderRun:
    """A manager's manual run of today's reminders."""
    access.require_plan_manager(caller)
    day = utc_today()
    recorded = await run_reminders(session, day, due_within_days, stale_after_days)
    return ReminderRun(reminder_date=day, recorded=recorded)


#: the fields ``?sort=`` allows
REMINDER_SORT = tuple(repo.REMINDER_SORT)


async def recorded(
    session: AsyncSession,
    page: PageParams,
    on: date | None,
    owner_id: int | None,
    sort: list[SortKey],
) -> Page[ReminderRead]:
    """The reminders recorded for ``on`` (default today), one page, by owner title unless
    ``sort`` says otherwise."""
    rows, total = await repo.recorded_on(
        session, on or utc_today(), owner_id, sort, limit=page.limit, offset=page.offset
    )
    items = [
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
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
