"""The consolidated reminders reach their owners: e-mail (SMTP or GOV.UK Notify) or the log
sink, by settings (``shared.notify``), each delivery recorded in ``notification_delivery``.

A reminder is recorded first (``service.run_reminders``, its own transaction); delivering
runs after that commit, so no e-mail goes out for a reminder rolled back. A reminder with a
delivery row of its reference is not sent again; one whose owner has no e-mail address is
recorded as ``no_address`` (counted, never silently dropped). A reminder whose delivery
failed (every attempt) is tried again at the next round, up to
``shared.notify.MAX_FAILED_ROUNDS``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.actions.plans.models import Owner
from services.actions.reminders import repository as repo
from services.actions.reminders.models import Reminder
from shared.logs import get_logger
from shared.notify import (
    Channel,
    Delivery,
    Message,
    NotificationSettings,
    send_and_record,
    still_to_send,
)

log = get_logger(__name__)

KIND = "reminder.due"


def reference(reminder: Reminder) -> str:
    return f"reminder:{reminder.owner_id}:{reminder.reminder_date.isoformat()}"


def message_for(reminder: Reminder, owner: Owner, address: str) -> Message:
    refs = ", ".join(reminder.action_refs)
    body = (
        f"Dear {owner.title},\n\n"
        f"These improvement plan actions you own are due soon or overdue and have not "
        f"been updated recently: {refs}.\n\n"
        "Please record their progress in the improvement platform.\n"
    )
    return Message(
        to=address,
        subject=f"Improvement plan: {len(reminder.action_refs)} actions need an update",
        body=body,
        reference=reference(reminder),
    )


async def _pending(session: AsyncSession, today: date) -> list[tuple[Reminder, Owner]]:
    logged = await repo.deliveries_like(session, KIND, f"reminder:%:{today.isoformat()}")
    unsent = still_to_send(logged)
    return [(r, o) for r, o in await repo.reminders_of(session, today) if unsent(reference(r))]


async def deliver_reminders(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    settings: NotificationSettings,
    today: date,
) -> Counter[str]:
    """Send today's undelivered reminders; each outcome recorded (its own transaction, so
    a later failure never loses an earlier record). Returns the outcomes counted."""
    async with sessionmaker() as session:
        pending = await _pending(session, today)

    async def record(
        session: AsyncSession, item: tuple[Reminder, Owner], delivery: Delivery
    ) -> None:
        reminder, owner = item
        await repo.record_delivery(
            session,
            recipient_kind="owner",
            recipient_id=str(owner.owner_id),
            kind=KIND,
            reference=reference(reminder),
            channel=delivery.channel,
            attempts=delivery.attempts,
            outcome=delivery.outcome,
            error=delivery.error,
        )

    outcomes = await send_and_record(
        sessionmaker,
        channel,
        settings,
        pending,
        lambda item: message_for(*item, item[1].email) if item[1].email else None,
        record,
    )
    if outcomes:
        log.info("reminders.delivered", **dict(outcomes))
    return outcomes
