"""The indicator catalogue: one row per (code, definition version)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base

UNITS = ("count", "percentage", "rate_per_10000", "mean", "days")
POLARITIES = ("higher", "lower")
FREQUENCIES = ("monthly", "quarterly", "annual")
KINDS = ("flow", "snapshot")
#: Where a figure comes from: an Annex A or SSDA903 import, or a partner's submission.
SOURCES = ("annex_a", "ssda903", "submission")


class Indicator(Base):
    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index(
            "uq_indicator_current_code", "code", unique=True, postgresql_where=text("is_current")
        ),
        CheckConstraint(
            "unit IN ('count','percentage','rate_per_10000','mean','days')", name="unit"
        ),
        CheckConstraint("polarity IN ('higher','lower')", name="polarity"),
        CheckConstraint("frequency IN ('monthly','quarterly','annual')", name="frequency"),
        CheckConstraint("kind IN ('flow','snapshot')", name="kind"),
    )

    indicator_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200))
    themes: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    unit: Mapped[str] = mapped_column(String(20))
    polarity: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10))
    source_agency: Mapped[str] = mapped_column(String(40))
    definition: Mapped[str] = mapped_column(Text)
    numerator_definition: Mapped[str | None] = mapped_column(Text)
    denominator_definition: Mapped[str | None] = mapped_column(Text)
    #: the source whose figure is the published one (``SOURCES``); ``None``: the latest
    #: recorded figure, whatever its source. Another source's figure never replaces it.
    authoritative_source: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
