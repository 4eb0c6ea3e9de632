"""Each owner of overdue QA findings gets one consolidated notice a day (``shared.notify``).

A finding's ``owner`` is a role in free text; the address notices go to is the finding's
optional ``owner_email`` (given when the finding is recorded). Overdue findings (open or
action agreed, due before today) are grouped by that address, compared without case: one
message per address per day naming each finding (id, audit, severity, due date; never the
description, which may describe a child's case). An overdue finding without an address is
recorded as ``no_address``, once a day (counted, never silently dropped).

Every delivery is recorded in ``audit.notification_delivery`` (who, what, channel, attempts,
outcome; never the body), each in its own transaction. A recipient with a record of today
is not sent again; one whose delivery failed (every attempt) is tried at the next round, up
to ``shared.notify.MAX_FAILED_ROUNDS`` a day.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.audit.findings.models import Finding
from services.audit.notices import repository as repo
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

KIND = "finding.overdue"


def reference(today: date) -> str:
    return f"findings-overdue:{today.isoformat()}"


@dataclass
class Notice:
    """Who (``recipient_kind`` ``owner``: an address; ``finding``: one without) and which."""

    recipient_kind: str
    recipient_id: str
    findings: list[Finding] = field(default_factory=list)


def message_for(notice: Notice, today: date) -> Message:
    lines = [
        f"- finding {f.finding_id} (audit {f.audit_id}, {f.severity}, {f.owner}): "
        f"due {f.due_date.isoformat()}"
        for f in notice.findings
    ]
    n = len(notice.findings)
    body = (
        "Hello,\n\n"
        f"These quality-assurance findings you own were due before {today.isoformat()} and "
        "have no completed action yet:\n\n" + "\n".join(lines) + "\n\n"
        "Please agree or complete their actions in the improvement platform.\n"
    )
    return Message(
        to=notice.recipient_id,
        subject=f"QA findings: {n} overdue finding{'s' if n != 1 else ''} need an action",
        body=body,
        reference=reference(today),
    )


def group(findings: list[Finding]) -> list[Notice]:
    """One notice per owner address (case aside), then one per finding without an address."""
    by_address: dict[str, Notice] = {}
    unaddressed: list[Notice] = []
    for f in findings:
        if f.owner_email:
            address = f.owner_email.strip().lower()
            by_address.setdefault(address, Notice("owner", address)).findings.append(f)
        else:
            unaddressed.append(Notice("finding", str(f.finding_id), [f]))
    return [by_address[a] for a in sorted(by_address)] + unaddressed


async def _pending(session: AsyncSession, today: date) -> list[Notice]:
    unsent = still_to_send(
        ((kind, who), outcome)
        for kind, who, outcome in await repo.logged(session, KIND, reference(today))
    )
    return [
        n
        for n in group(await repo.overdue_findings(session, today))
        if unsent((n.recipient_kind, n.recipient_id))
    ]


async def send_overdue_notices(
    sessionmaker: async_sessionmaker[AsyncSession],
    channel: Channel,
    settings: NotificationSettings,
    today: date,
) -> Counter[str]:
    """Send today's undelivered notices; each outcome recorded in its own transaction (a
    later failure never loses an earlier record). Returns the outcomes counted."""
    async with sessionmaker() as session:
        pending = await _pending(session, today)

    async def record(session: AsyncSession, notice: Notice, delivery: Delivery) -> None:
        await repo.record(
            session,
            recipient_kind=notice.recipient_kind,
            recipient_id=notice.recipient_id,
            kind=KIND,
            reference=reference(today),
            finding_ids=[f.finding_id for f in notice.findings],
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
        lambda n: None if n.recipient_kind == "finding" else message_for(n, today),
        record,
    )
    if outcomes:
        log.info("finding_notices.delivered", **dict(outcomes))
    return outcomes
