"""Programme shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from services.audit.params import IdField, Input
from shared.vocabulary import AgencyCode

Agency = AgencyCode
#: a success criterion of the plan (1A…5E), as the actions service codes it
CRITERION_CODE = r"^[1-9][A-Z]$"
CriterionCode = Annotated[str, StringConstraints(pattern=CRITERION_CODE)]
ActionRef = Annotated[str, StringConstraints(pattern=r"^[1-9][A-Z][0-9]{1,2}$")]


class ProgrammeCreate(Input):
    title: str = Field(min_length=1, max_length=200, examples=["Front-door threshold audit"])
    tool_id: IdField
    scope: str = Field(min_length=1, max_length=2000)
    sampling_rule: str = Field(min_length=1, max_length=1000)
    sample_size: int = Field(ge=1, le=10_000)
    schedule: str = Field(min_length=1, max_length=200, examples=["monthly"])
    lead_agency: Agency
    participating_agencies: list[Agency] = Field(default_factory=list, max_length=20)
    linked_actions: list[ActionRef] = Field(default_factory=list, max_length=50, examples=[["5A1"]])

    @model_validator(mode="after")
    def _lead_participates(self) -> ProgrammeCreate:
        agencies = [self.lead_agency, *self.participating_agencies]
        self.participating_agencies = list(dict.fromkeys(agencies))
        self.linked_actions = list(dict.fromkeys(self.linked_actions))
        return self


class ProgrammeUpdate(Input):
    """Changes apply to audits started afterwards; started audits keep their tool version."""

    title: str | None = Field(None, min_length=1, max_length=200)
    tool_id: IdField | None = None
    scope: str | None = Field(None, min_length=1, max_length=2000)
    sampling_rule: str | None = Field(None, min_length=1, max_length=1000)
    sample_size: int | None = Field(None, ge=1, le=10_000)
    schedule: str | None = Field(None, min_length=1, max_length=200)
    participating_agencies: list[Agency] | None = Field(None, max_length=20)
    linked_actions: list[ActionRef] | None = Field(None, max_length=50)


class ProgrammeRead(BaseModel):
    programme_id: int
    title: str
    tool_id: int
    scope: str
    sampling_rule: str
    sample_size: int
    schedule: str
    lead_agency: str
    participating_agencies: list[str]
    linked_actions: list[str]
    is_multi_agency: bool
    created_at: datetime


class ProgrammeCriterionRead(BaseModel):
    programme_id: int
    criterion_code: str
    created_by: str
    created_at: datetime
