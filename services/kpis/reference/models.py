"""Reference data: targets with RAG tolerances, benchmarks, and 0–17 populations."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Integer, Numeric, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from services.kpis.db import Base


class Target(Base):
    """A target for an indicator in a financial year (named by its first year).

    RAG: green when the value meets the target, amber when it misses by no more than
    ``amber_tolerance`` (in the indicator's unit), red beyond; polarity decides "meets".
    """

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("indicator_code", "financial_year"),)

    target_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_code: Mapped[str] = mapped_column(String(40))
    financial_year: Mapped[int] = mapped_column(Integer)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    amber_tolerance: Mapped[Decimal] = mapped_column(Numeric(18, 4))


class Benchmark(Base):
    """A comparator's figure for an indicator and period, versioned: performance staff add a
    new version (a corrected or re-published figure); the old ones stay, reads take the
    latest and say which version they used."""

    __tablename__ = "benchmark"
    __table_args__ = (UniqueConstraint("indicator_code", "comparator", "period_label", "version"),)

    benchmark_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_code: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[str] = mapped_column(String(30))  # england, statistical_neighbours, region
    period_label: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    source: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(200))


class Population(Base):
    """Children aged 0–17 in an area (org unit code) in a calendar year (mid-year)."""

    __tablename__ = "population"
    __table_args__ = (UniqueConstraint("area_code", "year"),)

    population_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_code: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer)
    children_0_17: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
