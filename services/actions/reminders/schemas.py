"""Reminder shapes: what was recorded for a day, and what a manual run recorded."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class ReminderRead(BaseModel):
    owner_id: int
    owner: str
    agency: str
    reminder_date: date
    action_refs: list[str]
    created_at: datetime


class ReminderRun(BaseModel):
    reminder_date: date
    recorded: int
