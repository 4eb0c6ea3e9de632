"""Org units: authority → service → locality → team → worker (workers by staff code)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base

LEVELS = ("authority", "service", "locality", "team", "worker")


class OrgUnit(Base):
    __tablename__ = "org_unit"
    __table_args__ = (
        CheckConstraint(
            "level IN ('authority','service','locality','team','worker')", name="level"
        ),
    )

    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    level: Mapped[str] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.org_unit_id"), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
