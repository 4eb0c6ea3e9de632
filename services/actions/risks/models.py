"""The risk register: likelihood x impact (1-5) before and after mitigation."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base

RISK_STATUSES = ("open", "mitigated", "closed")


class Risk(Base):
    __tablename__ = "risk"
    __table_args__ = (
        CheckConstraint(
            "likelihood_before BETWEEN 1 AND 5 AND impact_before BETWEEN 1 AND 5 "
            "AND likelihood_after BETWEEN 1 AND 5 AND impact_after BETWEEN 1 AND 5",
            name="scores",
        ),
    )

    risk_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    risk: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text, server_default="")
    consequence: Mapped[str] = mapped_column(Text, server_default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("owner.owner_id", ondelete="SET NULL"))
    likelihood_before: Mapped[int] = mapped_column(SmallInteger)
    impact_before: Mapped[int] = mapped_column(SmallInteger)
    likelihood_after: Mapped[int] = mapped_column(SmallInteger)
    impact_after: Mapped[int] = mapped_column(SmallInteger)
    mitigating_action_refs: Mapped[list[str]] = mapped_column(
        ARRAY(String(8)), server_default=text("'{}'")
    )
    review_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), server_default="open")
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
