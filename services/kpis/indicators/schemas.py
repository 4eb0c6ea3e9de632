"""Shapes of the indicator catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Unit = Literal["count", "percentage", "rate_per_10000", "mean", "days"]
Source = Literal["annex_a", "ssda903", "submission"]


class IndicatorBase(BaseModel):
    name: str = Field(min_length=3, max_length=200)
    themes: list[int] = Field(min_length=1, max_length=10)
    unit: Unit
    polarity: Literal["higher", "lower"]
    frequency: Literal["monthly", "quarterly", "annual"]
    kind: Literal["flow", "snapshot"]
    definition: str = Field(min_length=3, max_length=5000)
    numerator_definition: str | None = Field(None, max_length=2000)
    denominator_definition: str | None = Field(None, max_length=2000)
    authoritative_source: Source | None = Field(
        None,
        description="the source whose figure is published (annex_a, ssda903 or submission); "
        "another source's figure is kept beside it, never in its place. A new version "
        "without it keeps the current one's.",
    )


class IndicatorCreate(IndicatorBase):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=40, pattern=r"^[A-Z0-9_]+$")
    source_agency: str = Field(min_length=2, max_length=40, pattern=r"^[a-z0-9_-]+$")


class IndicatorVersionCreate(IndicatorBase):
    """A changed definition: a new version; series show where it breaks."""

    model_config = ConfigDict(extra="forbid")


class IndicatorRead(IndicatorBase):
    code: str
    version: int
    is_current: bool
    source_agency: str
    created_at: datetime
