"""Reference data: targets with RAG tolerances, benchmarks, and 0–17 populations."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Integer, Numeric, String, UniqueConstraint
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
    __tablename__ = "benchmark"
    __table_args__ = (UniqueConstraint("indicator_code", "comparator", "period_label"),)

    benchmark_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    indicator_code: Mapped[str] = mapped_column(String(40))
    comparator: Mapped[str] = mapped_column(String(30))  # england, statistical_neighbours, region
    period_label: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    source: Mapped[str] = mapped_column(String(300))


class Population(Base):
    """Children aged 0–17 in an area (org unit code) in a calendar year (mid-year)."""

    __tablename__ = "population"
    __table_args__ = (UniqueConstraint("area_code", "year"),)

    population_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_code: Mapped[str] = mapped_column(String(60))
    year: Mapped[int] = mapped_column(Integer)
    children_0_17: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(300))
