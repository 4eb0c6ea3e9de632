"""Indicator values (revisions, never overwritten), period states and their transitions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base

STATES = ("draft", "submitted", "approved", "reopened")


class IndicatorValue(Base):
    """One revision of the value of (indicator version, org unit, period)."""

    __tablename__ = "indicator_value"
    __table_args__ = (
        Index(
            "uq_indicator_value_revision",
            "indicator_id",
            "org_unit_id",
            "period_type",
            "period_start",
            "period_end",
            "revision",
            unique=True,
        ),
        Index(
            "uq_indicator_value_current",
            "indicator_id",
            "period_start",
            "period_end",
            "period_type",
            "org_unit_id",
            unique=True,
            postgresql_where=text("is_current"),
        ),
        Index(
            "ix_indicator_value_unit_period",
            "org_unit_id",
            "period_start",
            postgresql_where=text("is_current"),
        ),
        CheckConstraint("state IN ('draft','submitted','approved','reopened')", name="state"),
    )

    value_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.indicator_id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.org_unit_id"))
    period_type: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(12))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    comment: Mapped[str | None] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(60))
    source_agency: Mapped[str] = mapped_column(String(40))
    import_id: Mapped[str | None] = mapped_column(String(100))
    submission_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    #: which kind of source gave the figure: ``annex_a``, ``ssda903`` (imports) or
    #: ``submission`` (null for values recorded before sources were kept)
    source_kind: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ValuePeriod(Base):
    """The approval state of one indicator version for one period (all its org units)."""

    __tablename__ = "value_period"
    __table_args__ = (
        CheckConstraint("state IN ('draft','submitted','approved','reopened')", name="state"),
    )

    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("indicator.indicator_id"), primary_key=True
    )
    period_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[date] = mapped_column(Date, primary_key=True)
    state: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer)
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(200))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reopen_reason: Mapped[str | None] = mapped_column(String(1000))
    release_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))


class ValueTransition(Base):
    """Every state change of an indicator period, kept for good."""

    __tablename__ = "value_transition"
    __table_args__ = (
        Index("ix_value_transition_period", "indicator_id", "period_start", "period_type"),
    )

    transition_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.indicator_id"))
    period_type: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(1000))
    occurred_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class SourceFigure(Base):
    """Every figure each source gave for (indicator version, org unit, period), kept for
    good: the published figure is the authoritative source's (``indicator_value``); the
    others stay here, side by side, for reconciliation."""

    __tablename__ = "source_figure"
    __table_args__ = (
        Index(
            "ix_source_figure_key",
            "indicator_id",
            "period_type",
            "period_start",
            "period_end",
            "org_unit_id",
        ),
    )

    figure_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.indicator_id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.org_unit_id"))
    period_type: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    source_kind: Mapped[str] = mapped_column(String(40))
    import_id: Mapped[str | None] = mapped_column(String(100))
    submission_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    value: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    numerator: Mapped[int | None] = mapped_column(BigInteger)
    denominator: Mapped[int | None] = mapped_column(BigInteger)
    #: whether the figure became the current value (False: kept beside the authoritative)
    made_current: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
