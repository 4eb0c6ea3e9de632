"""All SQL of the webhooks: subscriptions, deliveries, the outbox events to dispatch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.db import outbox
from services.kpis.webhooks.models import WebhookCursor, WebhookDelivery, WebhookSubscription
from shared.pagination import PageParams, page_scalars

CURSOR = "dispatch"


async def add(session: AsyncSession, row: WebhookSubscription) -> WebhookSubscription:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def of_subscriber(
    session: AsyncSession, subscriber: str, page: PageParams
) -> tuple[list[WebhookSubscription], int]:
    stmt = (
        select(WebhookSubscription)
        .where(WebhookSubscription.subscriber == subscriber)
        .order_by(WebhookSubscription.created_at, WebhookSubscription.subscription_id)
    )
    return await page_scalars(session, stmt, page)


async def get(
    session: AsyncSession, subscription_id: uuid.UUID, subscriber: str
) -> WebhookSubscription | None:
    return await session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.subscription_id == subscription_id,
            WebhookSubscription.subscriber == subscriber,
        )
    )


async def deactivate(session: AsyncSession, row: WebhookSubscription) -> None:
    await session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.subscription_id == row.subscription_id)
        .values(is_active=False)
    )


async def deliveries(
    session: AsyncSession, subscription_id: uuid.UUID, page: PageParams
) -> tuple[list[WebhookDelivery], int]:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.delivery_id.desc())
    )
    return await page_scalars(session, stmt, page)


async def lock_cursor(session: AsyncSession) -> WebhookCursor | None:
    """The dispatcher's cursor, locked (``None``: another replica is dispatching)."""
    return await session.scalar(
        select(WebhookCursor).where(WebhookCursor.name == CURSOR).with_for_update(skip_locked=True)
    )


async def events_after(
    session: AsyncSession, seq: int, types: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(
            outbox.c.seq,
            outbox.c.event_id,
            outbox.c.event_type,
            outbox.c.entity_type,
            outbox.c.entity_id,
            outbox.c.occurred_at,
            outbox.c.actor,
        )
        .where(outbox.c.seq > seq, outbox.c.event_type.in_(types))
        .order_by(outbox.c.seq)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def last_seq(session: AsyncSession) -> int:
    found = await session.scalar(select(outbox.c.seq).order_by(outbox.c.seq.desc()).limit(1))
    return int(found or 0)


async def active_for(session: AsyncSession, event_type: str) -> Sequence[WebhookSubscription]:
    found = await session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.is_active.is_(True),
            WebhookSubscription.event_types.contains([event_type]),
        )
    )
    return found.all()


async def record(session: AsyncSession, row: WebhookDelivery) -> None:
    session.add(row)
    await session.flush()
