"""Recommendation answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["ofsted", "lscb"]


class LinkedAction(BaseModel):
    action_id: int
    ref: str
    plan_id: int = Field(
        description="the edition the action is in: an earlier one than the recommendation's "
        "for a done action kept as history when the plan was refreshed"
    )


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
