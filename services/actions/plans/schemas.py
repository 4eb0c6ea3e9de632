"""Plan structure answers and inputs."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

#: dates a plan may hold (keeps sprint arithmetic and periods finite)
PlanDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
#: a user account's subject as the gateway issues it (a UUID, a client id, an OIDC ``sub``)
Subject = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@|-]{0,199}$")]


class PlanRead(BaseModel):
    plan_id: int
    title: str
    authority: str
    start_date: date
    end_date: date
    status: str
    version: int
    edition: int
    previous_plan_id: int | None


class PlanUpdate(BaseModel):
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
    display_name: str | None


class OwnerCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    agency: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]
    organisation: Annotated[str, StringConstraints(max_length=200)] | None = None
    user_subject: Subject | None = None
    display_name: Title | None = None
    #: where the owner's consolidated reminders are e-mailed (never shown in listings)
    email: (
        Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]+$")] | None
    ) = None


class OwnerLink(BaseModel):
    """Link a role to the person holding it (their account's subject and name), or unlink
    it (both null). The person's agency is the role's."""

    model_config = ConfigDict(extra="forbid")
    user_subject: Subject | None
    display_name: Title | None


class CarriedDates(BaseModel):
    """New dates for one open action carried into the new edition: a date or a sprint."""

    model_config = ConfigDict(extra="forbid")
    ref: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z.]{1,8}$")]
    due_date: PlanDate | None = None
    due_sprint: int | None = Field(default=None, ge=1, le=99)


class PlanRefresh(BaseModel):
    """Refresh a plan into its next edition and period. Every open action is carried with
    its history and needs new dates inside the new period: its own in ``carry``, else
    ``default_due_date``; done actions stay in the old edition, which closes."""

    model_config = ConfigDict(extra="forbid")
    start_date: PlanDate
    end_date: PlanDate
    title: Title | None = None
    carry: list[CarriedDates] = Field(default_factory=list, max_length=500)
    default_due_date: PlanDate | None = None


class PlanRefreshed(BaseModel):
    plan: PlanRead
    previous_plan_id: int
    carried: list[str] = Field(description="refs of the open actions carried, with history")
    left: list[str] = Field(description="refs of the done actions left in the old edition")
    step_dates_cleared: list[str] = Field(
        description="steps (<ref>#<number>) whose due date fell outside the new period"
    )
    risks_carried: list[int] = Field(
        description="ids of the risks not closed, moved to the new edition with their history"
    )
    risks_left: list[int] = Field(description="ids of the closed risks left in the old edition")
    recommendations: list[str] = Field(
        description="recommendations (<source> <number>) copied into the new edition, linked "
        "to their carried actions and, as history, to their done ones"
    )
    counts: dict[str, int]
