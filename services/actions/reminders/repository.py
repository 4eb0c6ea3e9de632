"""SQL for reminders: what was recorded for a day, with the owner role and its person."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.plans.models import Owner
from services.actions.reminders.models import Reminder


async def recorded_on(
    session: AsyncSession, day: date, owner_id: int | None
) -> list[tuple[Any, ...]]:
    """(reminder, role title, agency, person's name, person's subject), by title."""
    stmt = (
        select(Reminder, Owner.title, Owner.agency, Owner.display_name, Owner.user_subject)
        .join(Owner, Owner.owner_id == Reminder.owner_id)
        .where(Reminder.reminder_date == day)
        .order_by(Owner.title)
    )
    if owner_id is not None:
        stmt = stmt.where(Reminder.owner_id == owner_id)
    return [tuple(r) for r in await session.execute(stmt)]
