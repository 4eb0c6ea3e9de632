"""Criterion → indicator link inputs and answers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: The kpis service's indicator code format (checked here; the code is not looked up there).
IndicatorCode = Annotated[
    str, StringConstraints(min_length=2, max_length=40, pattern=r"^[A-Z0-9_]+$")
]


class CriterionIndicatorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_code: IndicatorCode = Field(examples=["CONTACTS"])
    target_value: Decimal = Field(ge=-1_000_000_000, le=1_000_000_000, decimal_places=4)
    direction: Literal["up", "down"]
    by_date: date


class CriterionIndicatorRead(BaseModel):
    link_id: int
    criterion_id: int
    criterion_code: str
    plan_id: int
    indicator_code: str
    target_value: Decimal
    direction: str
    by_date: date
    created_by: str
    created_at: datetime
