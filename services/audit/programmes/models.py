"""Audit programmes: what is audited, with which tool, by whom, answering which plan actions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Integer, String, func
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
