"""Shapes of values, periods and transitions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ValueRead(BaseModel):
    """A value with its watermark: state, revision, source, definition version, approval."""

    indicator: str
    definition_version: int
    org_unit: str
    org_unit_level: str
    period: str
    period_type: str
    period_start: date
    period_end: date
    value: Decimal | None
    numerator: int | None
    denominator: int | None
    comment: str | None
    state: str
    revision: int
    is_current: bool
    source: str
    source_agency: str
    #: which source gave the figure: annex_a / ssda903 (an import: import_id) or
    #: submission (submission_id)
    source_kind: str | None = None
    import_id: str | None
    submission_id: uuid.UUID | None = None
    recorded_by: str
    recorded_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    release_id: uuid.UUID | None


class PeriodStatus(BaseModel):
    indicator: str
    definition_version: int
    period: str
    state: str
    version: int
    submitted_by: str | None
    approved_by: str | None
    approved_at: datetime | None
    reopen_reason: str | None
    release_id: uuid.UUID | None
    value_count: int


class TransitionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(min_length=1, max_length=40)
    period: str = Field(min_length=4, max_length=20)
    action: Literal["submit", "approve", "reopen"]
    reason: str | None = Field(None, min_length=3, max_length=1000)
