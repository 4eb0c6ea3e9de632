"""All SQL of the webhooks: subscriptions, deliveries, the outbox events to dispatch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.webhooks.models import WebhookCursor, WebhookDelivery, WebhookSubscription
from shared.pagination import PageParams, SortKey, order_by, page_scalars

CURSOR = "dispatch"

#: field → column for ``?sort=`` of the caller's subscriptions (ties by the subscription's id)
SUBSCRIPTION_SORT = {
    "created_at": WebhookSubscription.created_at,
    "url": WebhookSubscription.url,
    "is_active": WebhookSubscription.is_active,
}
#: field → column for ``?sort=`` of a delivery log (ties by the delivery's id, newest first)
DELIVERY_SORT = {
    "delivery_id": WebhookDelivery.delivery_id,
    "created_at": WebhookDelivery.created_at,
    "event_type": WebhookDelivery.event_type,
    "outcome": WebhookDelivery.outcome,
    "attempts": WebhookDelivery.attempts,
    "status_code": WebhookDelivery.status_code,
}


async def add(session: AsyncSession, row: WebhookSubscription) -> WebhookSubscription:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row


async def of_subscriber(
    session: AsyncSession, subscriber: str, sort: list[SortKey], page: PageParams
) -> tuple[list[WebhookSubscription], int]:
    stmt = (
        select(WebhookSubscription)
        .where(WebhookSubscription.subscriber == subscriber)
        .order_by(*order_by(sort, SUBSCRIPTION_SORT, WebhookSubscription.subscription_id))
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
    session: AsyncSession, subscription_id: uuid.UUID, sort: list[SortKey], page: PageParams
) -> tuple[list[WebhookDelivery], int]:
    stmt = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(*order_by(sort, DELIVERY_SORT, WebhookDelivery.delivery_id.desc()))
    )
    return await page_scalars(session, stmt, page)


async def lock_cursor(session: AsyncSession) -> WebhookCursor | None:
    """The dispatcher's cursor, locked (``None``: another replica is dispatching)."""
    return await session.scalar(
        select(WebhookCursor).where(WebhookCursor.name == CURSOR).with_for_update(skip_locked=True)
    )


_AFTER = text(
    """
    WITH h AS (SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint AS horizon)
    SELECT h.horizon, e.*
    FROM h LEFT JOIN LATERAL (
        SELECT o.txid, o.seq, o.event_id, o.event_type, o.entity_type, o.entity_id,
               o.occurred_at, o.actor
        FROM kpis.outbox o
        WHERE (o.txid, o.seq) > (:txid, :seq)
          AND o.txid < h.horizon
          AND o.event_type = ANY(:types)
        ORDER BY o.txid, o.seq
        LIMIT :limit
    ) e ON true
    """
)


async def events_after(
    session: AsyncSession, txid: int, seq: int, types: Sequence[str], limit: int
) -> tuple[int, list[dict[str, Any]]]:
    """The horizon and the first ``limit`` events of ``types`` after ``(txid, seq)`` below it.

    The horizon is the oldest transaction still running when the statement starts (its
    snapshot's ``xmin``): every row of an older transaction is final — committed and visible,
    or rolled back and gone — and every transaction yet to write has a newer id. Reading only
    below it, in (txid, seq) order, no event is skipped whatever order transactions commit in,
    and none is read twice. Horizon and rows come from one statement, hence one snapshot."""
    rows = (
        await session.execute(
            _AFTER, {"txid": txid, "seq": seq, "types": list(types), "limit": limit}
        )
    ).all()
    found = [
        {k: v for k, v in r._mapping.items() if k != "horizon"} for r in rows if r.seq is not None
    ]
    return int(rows[0].horizon), found


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
