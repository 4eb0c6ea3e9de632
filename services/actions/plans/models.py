"""The plan's structure: plans, themes, success criteria and the owners directory."""

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
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.actions.db import Base

PLAN_STATUSES = ("draft", "active", "closed")


class Plan(Base):
    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("title", "authority", "edition"),
        CheckConstraint("end_date > start_date", name="dates"),
    )

    plan_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    authority: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # a refresh makes the next edition (new period), open actions carried into it
    edition: Mapped[int] = mapped_column(Integer, server_default="1")
    previous_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan.plan_id", ondelete="SET NULL")
    )


class Theme(Base):
    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    theme_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(200))
    source_fix: Mapped[str | None] = mapped_column(Text)


class SuccessCriterion(Base):
    __tablename__ = "success_criterion"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    criterion_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.plan_id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.theme_id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(3))
    text: Mapped[str] = mapped_column(String(1000))
    source_fix: Mapped[str | None] = mapped_column(Text)


class Owner(Base):
    """A role that owns actions (e.g. "Head of Safeguarding Unit") in an agency, linked to
    the person holding it: their user account's subject and display name (given by the
    plan manager; the gateway's accounts are not this service's to read). Steps are owned
    only by roles linked to a person, so a reminder names someone who can act."""

    __tablename__ = "owner"
    __table_args__ = (UniqueConstraint("title"),)

    owner_id: Mapped[int] = mapped_column(Integer, Identity(always=True), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(String(200))
    user_subject: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    #: where reminders go (a work address; never shown in listings)
    email: Mapped[str | None] = mapped_column(String(254))
