"""The delivery log of the audit service's notices (who, what, channel, attempts, outcome)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.audit.db import Base


class NotificationDelivery(Base):
    """Each notice sent (or not): who (an owner address, or a finding without one), what
    (``reference`` and the findings it named), channel, attempts, outcome. Never the body."""

    __tablename__ = "notification_delivery"
    __table_args__ = (Index("ix_notification_delivery_reference", "reference"),)

    delivery_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(60))
    reference: Mapped[str] = mapped_column(String(200))
    finding_ids: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    channel: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
