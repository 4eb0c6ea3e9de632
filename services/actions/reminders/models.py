"""One consolidated reminder per owner per day (the key makes the job idempotent)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base


class Reminder(Base):
    __tablename__ = "reminder"

    owner_id: Mapped[int] = mapped_column(
        ForeignKey("owner.owner_id", ondelete="CASCADE"), primary_key=True
    )
    reminder_date: Mapped[date] = mapped_column(Date, primary_key=True)
    action_refs: Mapped[list[str]] = mapped_column(ARRAY(String(8)))
    # steps the owner (a person) is reminded of, as "<action ref>#<step number>"
    step_refs: Mapped[list[str]] = mapped_column(ARRAY(String(20)), server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NotificationDelivery(Base):
    """Each notification sent (or not): who, what, channel, attempts, outcome. Never the
    message body."""

    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_reference", "reference"),)

    delivery_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60))
    reference: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
