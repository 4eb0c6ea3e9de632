"""Plan structure answers and inputs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints


class PlanRead(BaseModel):
    plan_id: int
    title: str
    authority: str
    start_date: date
    end_date: date
    status: str
    version: int


class PlanPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["draft", "active", "closed"] | None = None
    title: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None


class ThemeRead(BaseModel):
    theme_id: int
    plan_id: int
    number: int
    title: str
    source_fix: str | None


class CriterionRead(BaseModel):
    criterion_id: int
    plan_id: int
    theme_number: int
    code: str
    text: str
    source_fix: str | None


class OwnerRead(BaseModel):
    owner_id: int
    title: str
    agency: str
    organisation: str | None
    user_subject: str | None


class OwnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    agency: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
    organisation: Annotated[str, StringConstraints(max_length=200)] | None = None
    user_subject: Annotated[str, StringConstraints(max_length=200)] | None = None
    #: where the owner's consolidated reminders are e-mailed (never shown in listings)
    email: (
        Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]+$")] | None
    ) = None
