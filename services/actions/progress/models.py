"""Progress updates: append-only reports against an action (or one of its steps)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base


class ProgressUpdate(Base):
    __tablename__ = "progress_update"
    __table_args__ = (
        CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent"),
        Index("ix_progress_update_action_id", "action_id", "created_at"),
    )

    update_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.action_id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(
        ForeignKey("action_step.step_id", ondelete="CASCADE")
    )
    author: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(40))
    update_date: Mapped[date] = mapped_column(Date)
    narrative: Mapped[str] = mapped_column(Text)
    percent_complete: Mapped[int] = mapped_column(SmallInteger)
    declared_rag: Mapped[str] = mapped_column(String(5))
    evidence: Mapped[list[str]] = mapped_column(ARRAY(String(500)), server_default=text("'{}'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
