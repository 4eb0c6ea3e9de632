"""Meeting types, meetings and their minutes (attendees, agenda, decisions, actions arising).

The minutes' parts are rows of their own, numbered by ``position`` within the meeting, so a
later item can ask "which meetings raised actions against 1A1" in SQL. An action arising
refers to a plan action by its reference (``plan_action_ref``, e.g. ``1A1``) as text only:
the board never reads the actions service's database.
"""

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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from services.board.db import Base

_MEETING_FK = "board.meeting.meeting_id"


class MeetingType(Base):
    __tablename__ = "meeting_type"

    meeting_type_id: Mapped[int] = mapped_column(
        BigInteger, Identity(always=True), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_type_date", "meeting_type_id", "meeting_date"),)

    meeting_id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    meeting_type_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("board.meeting_type.meeting_type_id")
    )
    meeting_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(String(8000))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default="1")

    meeting_type: Mapped[MeetingType] = relationship(lazy="raise")
    attendees: Mapped[list[Attendee]] = relationship(
        lazy="raise", order_by="Attendee.position", cascade="all, delete-orphan"
    )
    agenda: Mapped[list[AgendaItem]] = relationship(
        lazy="raise", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[Decision]] = relationship(
        lazy="raise", order_by="Decision.position", cascade="all, delete-orphan"
    )
    actions_arising: Mapped[list[ActionArising]] = relationship(
        lazy="raise", order_by="ActionArising.position", cascade="all, delete-orphan"
    )


class Attendee(Base):
    __tablename__ = "attendee"

    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(_MEETING_FK, ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(40))
    person_name: Mapped[str] = mapped_column(String(200))
    person_role: Mapped[str] = mapped_column(String(200))


class AgendaItem(Base):
    __tablename__ = "agenda_item"

    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(_MEETING_FK, ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    presenter: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(String(4000))


class Decision(Base):
    __tablename__ = "decision"

    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(_MEETING_FK, ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision: Mapped[str] = mapped_column(String(4000))
    agenda_position: Mapped[int | None] = mapped_column(Integer)


class ActionArising(Base):
    __tablename__ = "action_arising"
    __table_args__ = (Index("ix_action_arising_plan_action_ref", "plan_action_ref"),)

    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey(_MEETING_FK, ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    description: Mapped[str] = mapped_column(String(4000))
    plan_action_ref: Mapped[str | None] = mapped_column(String(10))
    owner: Mapped[str | None] = mapped_column(String(200))
    agency: Mapped[str | None] = mapped_column(String(40))
    due_date: Mapped[date | None] = mapped_column(Date)
