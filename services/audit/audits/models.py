"""Case audits (a case by pseudonymous reference) and each agency's section of answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.audit.db import Base


class CaseAudit(Base):
    __tablename__ = "case_audit"
    __table_args__ = (Index("ix_case_audit_programme_id", "programme_id"),)

    audit_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("audit.audit_programme.programme_id")
    )
    tool_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("audit.audit_tool.tool_id"))
    case_ref: Mapped[str] = mapped_column(String(40))
    team_code: Mapped[str] = mapped_column(String(40))
    worker_code: Mapped[str | None] = mapped_column(String(40))
    auditor_subject: Mapped[str] = mapped_column(String(120))
    lead_agency: Mapped[str] = mapped_column(String(40))
    agencies: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    is_multi_agency: Mapped[bool] = mapped_column(Boolean)
    audit_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    grade: Mapped[str | None] = mapped_column(String(30))
    moderated_grade: Mapped[str | None] = mapped_column(String(30))
    moderation_reason: Mapped[str | None] = mapped_column(String(2000))
    moderator_subject: Mapped[str | None] = mapped_column(String(120))
    moderated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    joint_conclusion: Mapped[str | None] = mapped_column(String(4000))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    @property
    def final_grade(self) -> str | None:
        return self.moderated_grade or self.grade


class AuditSection(Base):
    """One participating agency's part of an audit."""

    __tablename__ = "audit_section"
    __table_args__ = (UniqueConstraint("audit_id", "agency"),)

    section_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    audit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("audit.case_audit.audit_id"))
    agency: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    grade: Mapped[str | None] = mapped_column(String(30))
    completed_by: Mapped[str | None] = mapped_column(String(120))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
