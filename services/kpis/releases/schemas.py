"""Release shapes: one published release as the list shows it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class ReleaseRead(BaseModel):
    release_id: uuid.UUID
    indicator: str
    definition_version: int
    source_agency: str = Field(description="the agency that published the figures")
    period: str
    period_type: str
    period_start: date
    period_end: date
    value_count: int = Field(description="values listed in the signed manifest")
    approved_by: str
    created_at: datetime = Field(description="when the period was approved and published")
    key_id: str
    is_current: bool = Field(
        description="false once the period was reopened or published again by a later release"
    )
