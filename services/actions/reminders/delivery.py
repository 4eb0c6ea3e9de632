"""The consolidated reminders reach their owners: e-mail (SMTP or GOV.UK Notify) or the log
sink, by settings (``shared.notify``), each delivery recorded in ``notification_delivery``.

A reminder is recorded first (``service.run_reminders``, its own transaction); delivering
runs after that commit, so no e-mail goes out for a reminder rolled back. A reminder with a
delivery row of its reference is not sent again; one whose owner has no e-mail address is
recorded as ``no_address`` (counted, never silently dropped). A reminder whose delivery
failed (every attempt) is tried again at the next round, up to :data:`MAX_FAILED_ROUNDS`.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.actions.plans.models import Owner
from services.actions.reminders.models import NotificationDelivery, Reminder
from shared.logs import get_logger
from shared.notify import Channel, Delivery, Message, NotificationSettings, deliver

log = get_logger(__name__)

KIND = "reminder.due"
MAX_FAILED_ROUNDS = 3


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
    rows = await session.execute(
        select(Reminder, Owner)
        .join(Owner, Owner.owner_id == Reminder.owner_id)
        .where(Reminder.reminder_date == today)
        .order_by(Reminder.owner_id)
    )
    done: set[str] = set()
    failed: Counter[str] = Counter()
    records = await session.execute(
        select(NotificationDelivery.reference, NotificationDelivery.outcome).where(
            NotificationDelivery.kind == KIND,
            NotificationDelivery.reference.like(f"reminder:%:{today.isoformat()}"),
        )
    )
    for ref, outcome in records.all():
        if outcome == "failed":
            failed[ref] += 1
        else:
            done.add(ref)
    return [
        (r, o)
        for r, o in rows.all()
        if reference(r) not in done and failed[reference(r)] < MAX_FAILED_ROUNDS
    ]


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
    outcomes: Counter[str] = Counter()
    for reminder, owner in pending:
        if not owner.email:
            delivery = Delivery(channel.name, 0, "no_address")
        else:
            delivery = await deliver(channel, message_for(reminder, owner, owner.email), settings)
        async with sessionmaker() as session, session.begin():
            session.add(
                NotificationDelivery(
                    recipient_kind="owner",
                    recipient_id=str(owner.owner_id),
                    kind=KIND,
                    reference=reference(reminder),
                    channel=delivery.channel,
                    attempts=delivery.attempts,
                    outcome=delivery.outcome,
                    error=delivery.error,
                )
            )
        outcomes[delivery.outcome] += 1
    if outcomes:
        log.info("reminders.delivered", **dict(outcomes))
    return outcomes
