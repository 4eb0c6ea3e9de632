"""Reminders: answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class ReminderRead(BaseModel):
    owner_id: int
    owner: str
    agency: str
    person: str | None = Field(description="the person holding the owner role, when linked")
    user_subject: str | None
    reminder_date: date
    action_refs: list[str]
    step_refs: list[str] = Field(description="the owner's steps due: <action ref>#<step>")
    created_at: datetime


class ReminderRun(BaseModel):
    reminder_date: date
    recorded: int
