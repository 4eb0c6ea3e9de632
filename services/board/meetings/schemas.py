"""Meeting and meeting-type shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from services.board.params import ActionRef, Agency, Input, TypeCode

MAX_ITEMS = 100
LISTS = ("attendees", "agenda", "decisions", "actions_arising")


class MeetingTypeCreate(Input):
    code: TypeCode = Field(examples=["health-and-wellbeing-board"])
    name: str = Field(min_length=1, max_length=200, examples=["Health and Wellbeing Board"])
    description: str | None = Field(None, max_length=2000)


class MeetingTypeRead(BaseModel):
    code: str
    name: str
    description: str | None
    created_at: datetime


class AttendeeCreate(Input):
    agency: Agency
    person_name: str = Field(min_length=1, max_length=200, examples=["A. Jones"])
    person_role: str = Field(min_length=1, max_length=200, examples=["Director of Children's"])


class AgendaItemCreate(Input):
    title: str = Field(min_length=1, max_length=500)
    presenter: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=4000)


class DecisionCreate(Input):
    decision: str = Field(min_length=1, max_length=4000)
    agenda_position: int | None = Field(
        None, ge=1, le=MAX_ITEMS, description="the agenda item (1-based) it was taken under"
    )


class ActionArisingCreate(Input):
    """An action arising: linked to a plan action (``plan_action_ref``, checked for its
    format only), or a new one (no reference) for the plan's managers to add."""

    description: str = Field(min_length=1, max_length=4000)
    plan_action_ref: ActionRef | None = Field(None, examples=["1A1"])
    owner: str | None = Field(None, max_length=200)
    agency: Agency | None = None
    due_date: date | None = None


class _Minutes(Input):
    attendees: list[AttendeeCreate] | None = Field(None, max_length=MAX_ITEMS)
    agenda: list[AgendaItemCreate] | None = Field(None, max_length=MAX_ITEMS)
    decisions: list[DecisionCreate] | None = Field(None, max_length=MAX_ITEMS)
    actions_arising: list[ActionArisingCreate] | None = Field(None, max_length=MAX_ITEMS)


class MeetingCreate(_Minutes):
    meeting_type: TypeCode = Field(examples=["improvement-board"])
    meeting_date: date
    title: str = Field(min_length=1, max_length=200, examples=["Improvement Board, March"])
    location: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=8000)


class MeetingUpdate(_Minutes):
    """Partial: a field left out keeps its value; a list given replaces the whole list."""

    meeting_type: TypeCode | None = None
    meeting_date: date | None = None
    title: str | None = Field(None, min_length=1, max_length=200)
    location: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=8000)

    @model_validator(mode="after")
    def _no_null_required(self) -> MeetingUpdate:
        for name in (*LISTS, "meeting_type", "meeting_date", "title"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null (send [] to empty a list)")
        return self


class AttendeeRead(BaseModel):
    agency: str
    person_name: str
    person_role: str


class AgendaItemRead(BaseModel):
    position: int
    title: str
    presenter: str | None
    notes: str | None


class DecisionRead(BaseModel):
    position: int
    decision: str
    agenda_position: int | None


class ActionArisingRead(BaseModel):
    position: int
    description: str
    plan_action_ref: str | None
    is_new_action: bool = Field(description="no plan action yet: one to be added to the plan")
    owner: str | None
    agency: str | None
    due_date: date | None


class MeetingSummary(BaseModel):
    meeting_id: int
    meeting_type: str
    meeting_date: date
    title: str
    location: str | None


class MeetingRead(MeetingSummary):
    notes: str | None
    attendees: list[AttendeeRead]
    agenda: list[AgendaItemRead]
    decisions: list[DecisionRead]
    actions_arising: list[ActionArisingRead]
    previous_meeting_id: int | None = Field(
        description="the previous meeting of the same type: the 'since' of what changed"
    )
    created_by: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime | None
    version: int
