"""Risk register inputs and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Score = Annotated[int, Field(ge=1, le=5)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
RefList = list[Annotated[str, StringConstraints(pattern=r"^[1-9][A-Z][0-9]{1,2}$")]]


class RiskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: int = Field(ge=1)
    risk: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    cause: Long = ""
    consequence: Long = ""
    owner_id: int | None = Field(default=None, ge=1)
    likelihood_before: Score
    impact_before: Score
    likelihood_after: Score
    impact_after: Score
    mitigating_action_refs: RefList = Field(default_factory=list, max_length=50)
    review_date: date | None = None
    status: Literal["open", "mitigated", "closed"] = "open"


class RiskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    risk: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
        | None
    ) = None
    cause: Long | None = None
    consequence: Long | None = None
    owner_id: int | None = Field(default=None, ge=1)
    likelihood_before: Score | None = None
    impact_before: Score | None = None
    likelihood_after: Score | None = None
    impact_after: Score | None = None
    mitigating_action_refs: RefList | None = Field(default=None, max_length=50)
    review_date: date | None = None
    status: Literal["open", "mitigated", "closed"] | None = None


class RiskRead(BaseModel):
    risk_id: int
    plan_id: int
    risk: str
    cause: str
    consequence: str
    owner_id: int | None
    likelihood_before: int
    impact_before: int
    score_before: int
    likelihood_after: int
    impact_after: int
    score_after: int
    mitigating_action_refs: list[str]
    review_date: date | None
    status: str
    version: int
    updated_at: datetime
