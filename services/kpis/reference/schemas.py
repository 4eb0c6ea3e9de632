"""Targets and benchmarks: inputs and answers."""

from __future__ import annotations

from decimal import Decimal

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
    indicator_code: str
    comparator: str
    period_label: str
    value: Decimal
    source: str
