"""Actions, their numbered steps, owners and history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base

STEP_STATUSES = ("not_started", "in_progress", "completed", "blocked")
STATUSES = ("not_started", "in_progress", "completed", "embedded", "blocked", "deferred")
RAGS = ("red", "amber", "green")


class Action(Base):
    __tablename__ = "action"
    __table_args__ = (
        UniqueConstraint("plan_id", "ref"),
        CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent"),
        Index("ix_action_theme_id", "theme_id"),
        Index("ix_action_criterion_id", "criterion_id"),
        Index("ix_action_due_on", "due_on"),
        Index("ix_action_plan_id_status", "plan_id", "status"),
    )

    action_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.theme_id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("success_criterion.criterion_id", ondelete="CASCADE")
    )
    ref: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, server_default="")
    lead_agency: Mapped[str] = mapped_column(String(40))
    contributing_agencies: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default=sql_text("'{}'")
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    due_sprint: Mapped[int | None] = mapped_column(SmallInteger)
    due_text: Mapped[str | None] = mapped_column(String(40))
    # when the action's clock starts and stops (plan or sprint start; date or sprint end)
    start_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    sprint_number: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[str] = mapped_column(String(20), server_default="not_started")
    percent_complete: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    declared_rag: Mapped[str | None] = mapped_column(String(5))
    has_evidence: Mapped[bool] = mapped_column(server_default=sql_text("false"))
    last_update_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    indicator_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default=sql_text("'{}'")
    )
    audit_finding_refs: Mapped[list[str]] = mapped_column(
        ARRAY(String(60)), server_default=sql_text("'{}'")
    )
    source_fixes: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=sql_text("'{}'"))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ActionOwner(Base):
    __tablename__ = "action_owner"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("action.action_id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("owner.owner_id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(SmallInteger, server_default="1")


class ActionStep(Base):
    __tablename__ = "action_step"
    __table_args__ = (UniqueConstraint("action_id", "number"),)

    step_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.action_id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text)
    agencies: Mapped[list[str]] = mapped_column(ARRAY(String(40)), server_default=sql_text("'{}'"))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owner.owner_id", ondelete="SET NULL"), index=True
    )
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), server_default="not_started")


class ActionEvent(Base):
    """The action's history: status moves, edits, sprint carry-overs (append-only)."""

    __tablename__ = "action_event"
    __table_args__ = (Index("ix_action_event_action_id", "action_id", "occurred_at"),)

    event_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.action_id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=sql_text("'{}'::jsonb"))
    actor: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
