"""Action inputs and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.vocabulary import LEAD_AGENCY, AgencyCode

Status = Literal["not_started", "in_progress", "completed", "embedded", "blocked", "deferred"]
Rag = Literal["red", "amber", "green"]
Ref = Annotated[str, StringConstraints(pattern=r"^[1-9][A-Z][0-9]{1,2}$")]
CriterionCode = Annotated[str, StringConstraints(pattern=r"^[1-9][A-Z]$")]
Agency = AgencyCode
IndicatorCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")]
FindingRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_./:-]{0,59}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class StepInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Text
    agencies: list[Agency] = Field(default_factory=list, max_length=10)


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: int = Field(ge=1)
    criterion_code: CriterionCode
    ref: Ref
    title: Title
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    lead_agency: Agency = LEAD_AGENCY
    contributing_agencies: list[Agency] = Field(default_factory=list, max_length=10)
    owner_ids: list[int] = Field(default_factory=list, max_length=10)
    due_date: date | None = None
    due_sprint: int | None = Field(default=None, ge=1, le=52)
    steps: list[StepInput] = Field(default_factory=list, max_length=50)
    indicator_codes: list[IndicatorCode] = Field(default_factory=list, max_length=50)
    audit_finding_refs: list[FindingRef] = Field(default_factory=list, max_length=50)


class ActionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Title | None = None
    description: Annotated[str, StringConstraints(max_length=5000)] | None = None
    lead_agency: Agency | None = None
    contributing_agencies: list[Agency] | None = Field(default=None, max_length=10)
    owner_ids: list[int] | None = Field(default=None, max_length=10)
    due_date: date | None = None
    due_sprint: int | None = Field(default=None, ge=1, le=52)
    indicator_codes: list[IndicatorCode] | None = Field(default=None, max_length=50)
    audit_finding_refs: list[FindingRef] | None = Field(default=None, max_length=50)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status
    note: Annotated[str, StringConstraints(max_length=2000)] = ""


class OwnerRef(BaseModel):
    owner_id: int
    title: str
    agency: str


class StepOwner(BaseModel):
    """The role owning a step and the person holding it."""

    owner_id: int
    title: str
    agency: str
    user_subject: str | None
    display_name: str | None


class StepRead(BaseModel):
    step_id: int
    number: int
    text: str
    agencies: list[str]
    owner: StepOwner | None = None
    due_date: date | None = None
    status: str = "not_started"


class StepUpdate(BaseModel):
    """A step's owner (an owner role linked to a person; null clears it), due date (inside
    the plan's period; null clears it) and status. Only the fields sent change."""

    model_config = ConfigDict(extra="forbid")
    owner_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    due_date: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    status: Literal["not_started", "in_progress", "completed", "blocked"] | None = None


class ActionRead(BaseModel):
    action_id: int
    plan_id: int
    ref: str
    theme_number: int
    criterion_code: str
    title: str
    description: str
    lead_agency: str
    contributing_agencies: list[str]
    owners: list[OwnerRef] = Field(default_factory=list)
    due_date: date | None
    due_sprint: int | None
    due_text: str | None
    due_on: date | None = Field(description="the date the action is due (a sprint's last day)")
    sprint_number: int | None
    status: Status
    percent_complete: int
    declared_rag: Rag | None
    computed_rag: Rag | None = Field(description="trajectory RAG: progress against time elapsed")
    rag_disagrees: bool
    overdue: bool
    last_update_at: datetime | None
    completed_at: datetime | None
    indicator_codes: list[str]
    audit_finding_refs: list[str]
    version: int
    updated_at: datetime


class UpdateRead(BaseModel):
    update_id: int
    action_id: int
    step_number: int | None
    author: str
    agency: str
    update_date: date
    narrative: str
    percent_complete: int
    declared_rag: Rag
    evidence: list[str]
    created_at: datetime


class HistoryEntry(BaseModel):
    kind: str
    detail: dict[str, Any]
    actor: str
    agency: str
    occurred_at: datetime


class ActionDetail(ActionRead):
    steps: list[StepRead]
    recent_updates: list[UpdateRead]
    recommendations: list[int]
    history: list[HistoryEntry]
    source_fixes: list[str]
