"""Webhook subscriptions of partner systems, the delivery log, the dispatcher's place."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscription"

    subscription_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    subscriber: Mapped[str] = mapped_column(sa.String(200))
    agency: Mapped[str] = mapped_column(sa.String(40))
    url: Mapped[str] = mapped_column(sa.String(2000))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(sa.String(100)))
    #: the signing secret, AES-256-GCM wrapped (shared.webhooks.SecretBox); never in clear
    secret_wrapped: Mapped[bytes] = mapped_column(sa.LargeBinary)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class WebhookDelivery(Base):
    """Each delivery of an event to a subscription: attempts and outcome (no body kept)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_subscription", "subscription_id"),)

    delivery_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.Identity(always=True), primary_key=True
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        sa.ForeignKey("webhook_subscription.subscription_id", ondelete="CASCADE"),
    )
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    event_type: Mapped[str] = mapped_column(sa.String(100))
    attempts: Mapped[int] = mapped_column(sa.Integer)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class WebhookCursor(Base):
    """How far the dispatcher has read the outbox (one row; its lock elects one replica)."""

    __tablename__ = "webhook_cursor"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    #: the last event sent, as (its transaction's id, its seq): the outbox is walked in that
    #: order, and only below the oldest transaction still running (see ``repository``)
    txid: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
    seq: Mapped[int] = mapped_column(sa.BigInteger, server_default=sa.text("0"))
