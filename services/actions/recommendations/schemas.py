"""Recommendation answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Source = Literal["ofsted", "lscb"]


class LinkedAction(BaseModel):
    action_id: int
    ref: str
    plan_id: int = Field(
        description="the edition the action is in: an earlier one than the recommendation's "
        "for a done action kept as history when the plan was refreshed"
    )


Wording = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)]


class RecommendationUpdate(BaseModel):
    """The wording and the progress notes a plan manager may correct (every field optional).

    The source, the number and the plan are what the inspection gave: they do not change."""

    model_config = ConfigDict(extra="forbid")
    text: Wording | None = None
    progress_to_date: Note | None = None
    further_work: Note | None = None


class RecommendationRead(BaseModel):
    recommendation_id: int
    plan_id: int
    source: str
    number: int
    text: str
    progress_to_date: str
    further_work: str
    source_fix: str | None
    version: int
    actions: list[LinkedAction]
