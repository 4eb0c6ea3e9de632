"""Progress update input."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.actions.actions.schemas import Rag

Evidence = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class UpdateCreate(BaseModel):
    """An append-only progress report. Evidence references are stored as text, never fetched."""

    model_config = ConfigDict(extra="forbid")
    narrative: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
    ]
    percent_complete: int = Field(ge=0, le=100)
    declared_rag: Rag
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    update_date: date | None = Field(default=None, description="defaults to today")
    step_number: int | None = Field(default=None, ge=1, le=50)
