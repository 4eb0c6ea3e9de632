"""A success criterion's link to an indicator of the kpis service, held by its code only."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base

DIRECTIONS = ("up", "down")


class CriterionIndicator(Base):
    """The indicator ``indicator_code`` shows criterion ``criterion_id`` met when it reaches
    ``target_value`` (going ``direction``) by ``by_date``. The code is a reference: the
    actions service never reads the kpis service."""

    __tablename__ = "criterion_indicator"
    __table_args__ = (
        UniqueConstraint("criterion_id", "indicator_code"),
        CheckConstraint("direction IN ('up', 'down')", name="direction"),
    )

    link_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("success_criterion.criterion_id", ondelete="CASCADE"), index=True
    )
    indicator_code: Mapped[str] = mapped_column(String(40))
    target_value: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    direction: Mapped[str] = mapped_column(String(4))
    by_date: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
