"""Finding shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from services.audit.params import IdField, Input
from services.audit.programmes.schemas import ActionRef, Agency

Severity = Literal["low", "medium", "high", "critical"]
FindingStatus = Literal["open", "action_agreed", "done", "rechecked", "closed"]
Outcome = Literal["effective", "not_effective"]

#: an owner's e-mail address (the overdue-finding notices go to it)
OwnerEmail = Annotated[str, Field(pattern=r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]+$", max_length=254)]


class FindingCreate(Input):
    audit_id: IdField
    severity: Severity
    description: str = Field(min_length=1, max_length=4000, description="what was found")
    owner: str = Field(min_length=1, max_length=200, description="a role, e.g. team manager")
    owner_email: OwnerEmail | None = Field(
        None,
        description="where the owner's daily notice of overdue findings is e-mailed "
        "(never shown in reads); without it an overdue finding is counted as no_address",
    )
    agency: Agency
    due_date: date
    plan_action_ref: ActionRef | None = Field(None, description="the plan action answering it")


class FindingUpdate(Input):
    """Partial: a field left out is unchanged."""

    owner_email: OwnerEmail | None = Field(
        None,
        description="where the owner's daily notice of overdue findings is e-mailed (never "
        "shown in reads); null removes it (the finding is then counted as no_address)",
    )


class Transition(Input):
    """Move a finding on: ``action_agreed`` (needs ``action``), ``done`` (schedules the
    re-check), ``rechecked`` (needs ``outcome``; by someone other than who agreed or completed
    the action; ``not_effective`` sends the finding straight back to ``open``), ``closed``
    (only after an effective re-check)."""

    to: FindingStatus
    action: str | None = Field(None, max_length=4000)
    plan_action_ref: ActionRef | None = None
    done_on: date | None = None
    recheck_due_date: date | None = None
    outcome: Outcome | None = None
    notes: str | None = Field(None, max_length=4000)
    on: date | None = Field(None, description="date of the re-check (default today)")


class FindingRead(BaseModel):
    finding_id: int
    audit_id: int
    severity: Severity
    description: str
    owner: str
    agency: str
    due_date: date
    status: FindingStatus
    action: str | None
    plan_action_ref: str | None
    action_by: str | None = Field(description="who agreed the current action")
    done_on: date | None
    done_by: str | None = Field(description="who marked the current action done")
    recheck_due_date: date | None
    recheck_outcome: Outcome | None
    recheck_notes: str | None
    rechecked_on: date | None
    rechecked_by: str | None
    closed_at: datetime | None
    is_overdue: bool
    is_recheck_overdue: bool
    has_owner_email: bool = Field(
        description="whether overdue notices have an address to go to (the address itself "
        "is never shown)"
    )
