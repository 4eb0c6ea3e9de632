"""Findings of audits and their learning loop (action, done, re-check, close)."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from services.audit.db import Base


class Finding(Base):
    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_audit_id", "audit_id"),)

    finding_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    audit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("audit.case_audit.audit_id"))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(4000))
    owner: Mapped[str] = mapped_column(String(200))
    # where overdue notices about the finding go (never shown in reads)
    owner_email: Mapped[str | None] = mapped_column(String(254))
    agency: Mapped[str] = mapped_column(String(40))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    action: Mapped[str | None] = mapped_column(String(4000))
    plan_action_ref: Mapped[str | None] = mapped_column(String(10))
    action_by: Mapped[str | None] = mapped_column(String(120))
    done_on: Mapped[date | None] = mapped_column(Date)
    done_by: Mapped[str | None] = mapped_column(String(120))
    recheck_due_date: Mapped[date | None] = mapped_column(Date)
    recheck_outcome: Mapped[str | None] = mapped_column(String(20))
    recheck_notes: Mapped[str | None] = mapped_column(String(4000))
    rechecked_on: Mapped[date | None] = mapped_column(Date)
    rechecked_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default="1")
