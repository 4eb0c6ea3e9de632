"""Case audit shapes. A case is named by a pseudonymous reference, never a name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from services.audit.params import IdField, Input
from services.audit.tools.schemas import Grade

AuditStatus = Literal["draft", "submitted", "moderated", "closed"]


def _has_digit(value: str) -> str:
    if not any(c.isdigit() for c in value):
        raise ValueError("a case reference carries digits (a pseudonymous id, never a name)")
    return value


#: capitals, digits and hyphens with at least one digit: "LCS-104233", "EHM-0042"
CaseRef = Annotated[
    str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$"), AfterValidator(_has_digit)
]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")]


class AuditCreate(Input):
    programme_id: IdField
    case_ref: CaseRef = Field(description="pseudonymous case reference (never a name)")
    team_code: UnitCode
    worker_code: UnitCode | None = None
    audit_date: date


class AuditUpdate(Input):
    """The lead auditor's part while in draft: overall grade, joint conclusion, who."""

    grade: Grade | None = None
    joint_conclusion: str | None = Field(None, max_length=4000)
    team_code: UnitCode | None = None
    worker_code: UnitCode | None = None


class SectionUpdate(Input):
    answers: dict[str, Any] = Field(default_factory=dict, max_length=200)
    grade: Grade | None = None
    complete: bool = Field(False, description="mark the agency's section complete")


class Moderation(Input):
    grade: Grade
    reason: str | None = Field(
        None, max_length=2000, description="required when changing the grade"
    )


class SectionRead(BaseModel):
    agency: str
    answers: dict[str, Any]
    grade: Grade | None
    completed_by: str | None
    completed_at: datetime | None
    is_complete: bool


class AuditRead(BaseModel):
    audit_id: int
    programme_id: int
    tool_id: int = Field(description="the tool version the audit is done on")
    case_ref: str
    team_code: str
    worker_code: str | None
    auditor_subject: str
    lead_agency: str
    is_multi_agency: bool
    audit_date: date
    status: AuditStatus
    grade: Grade | None = Field(description="the auditor's overall grade")
    moderated_grade: Grade | None
    final_grade: Grade | None
    moderation_reason: str | None
    moderator_subject: str | None
    moderated_at: datetime | None
    joint_conclusion: str | None
    submitted_at: datetime | None
    closed_at: datetime | None
    sections: list[SectionRead]
