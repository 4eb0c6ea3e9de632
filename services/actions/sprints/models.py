"""Sprints: 12-week blocks from the plan's start; closing one snapshots it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base


class Sprint(Base):
    __tablename__ = "sprint"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    sprint_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(SmallInteger)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), server_default="open")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(200))
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, server_default="1")
