"""Audit programmes: what is audited, with which tool, by whom, answering which plan actions,
and the plan's success criteria whose evidence their grades are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    String,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from services.audit.db import Base


class AuditProgramme(Base):
    __tablename__ = "audit_programme"

    programme_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    tool_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("audit.audit_tool.tool_id"))
    scope: Mapped[str] = mapped_column(String(2000))
    sampling_rule: Mapped[str] = mapped_column(String(1000))
    sample_size: Mapped[int] = mapped_column(Integer)
    schedule: Mapped[str] = mapped_column(String(200))
    lead_agency: Mapped[str] = mapped_column(String(40))
    participating_agencies: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    linked_actions: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    @property
    def is_multi_agency(self) -> bool:
        return len(set(self.participating_agencies)) > 1


class ProgrammeCriterion(Base):
    """Programme ``programme_id``'s grades show success criterion ``criterion_code`` of the
    plan (a reference to the actions service's criterion, by code: never looked up there)."""

    __tablename__ = "programme_criterion"

    programme_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("audit.audit_programme.programme_id", ondelete="CASCADE"),
        primary_key=True,
    )
    criterion_code: Mapped[str] = mapped_column(String(3), primary_key=True, index=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
