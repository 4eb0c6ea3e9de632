"""Targets and benchmarks: inputs and answers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class TargetRead(BaseModel):
    indicator_code: str
    financial_year: int
    value: Decimal
    amber_tolerance: Decimal


class TargetPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_code: str = Field(min_length=2, max_length=40)
    financial_year: int = Field(ge=2000, le=2100)
    value: Decimal = Field(ge=0, le=10**9)
    amber_tolerance: Decimal = Field(ge=0, le=10**9)


class BenchmarkRead(BaseModel):
    benchmark_id: int
    indicator_code: str
    comparator: str
    period_label: str
    value: Decimal
    source: str
    version: int = Field(description="1 for the first figure; each new figure takes the next")
    created_at: datetime


class BenchmarkCreate(BaseModel):
    """A benchmark figure: the first version, or a new version of one already held."""

    model_config = ConfigDict(extra="forbid")
    indicator_code: str = Field(min_length=2, max_length=40)
    comparator: Literal["england", "statistical_neighbours", "region"]
    period_label: str = Field(
        min_length=4,
        max_length=20,
        description="a period as values name it: 2017/18, 2017/18-Q1, 2017-05",
    )
    value: Decimal = Field(ge=0, le=10**9, max_digits=18, decimal_places=4)
    source: str = Field(min_length=1, max_length=300)
