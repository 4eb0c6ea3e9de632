"""Every SQL statement of the notices: overdue findings by owner address, the delivery log."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.findings.models import Finding
from services.audit.findings.repository import overdue
from services.audit.notices.models import NotificationDelivery


async def overdue_findings(session: AsyncSession, today: date) -> list[Finding]:
    """Every finding overdue on ``today`` (open or action agreed, due before it), by id."""
    rows = await session.scalars(select(Finding).where(overdue(today)).order_by(Finding.finding_id))
    return list(rows)


async def logged(session: AsyncSession, kind: str, reference: str) -> list[tuple[str, str, str]]:
    """(recipient kind, recipient id, outcome) of every delivery recorded under ``reference``."""
    rows = await session.execute(
        select(
            NotificationDelivery.recipient_kind,
            NotificationDelivery.recipient_id,
            NotificationDelivery.outcome,
        ).where(NotificationDelivery.kind == kind, NotificationDelivery.reference == reference)
    )
    return [(k, r, o) for k, r, o in rows.all()]


async def record(session: AsyncSession, **values: object) -> None:
    session.add(NotificationDelivery(**values))
    await session.flush()
