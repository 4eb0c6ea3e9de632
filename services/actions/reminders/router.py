"""HTTP for reminders: what was recorded (all agencies read), and a manual run (managers)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.actions import access
from services.actions.actions.service import today
from services.actions.plans.models import Owner
from services.actions.reminders.models import Reminder
from services.actions.reminders.service import run_reminders
from shared.db import SessionDep
from shared.identity import CallerDep

router = APIRouter(prefix="/v1/reminders", tags=["reminders"])


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


@router.get("", response_model=list[ReminderRead], summary="Reminders recorded for a day")
async def list_reminders(
    session: SessionDep,
    caller: CallerDep,
    on: Annotated[date | None, Query(description="default today")] = None,
    owner_id: Annotated[int | None, Query(ge=1)] = None,
) -> list[ReminderRead]:
    stmt = (
        select(Reminder, Owner.title, Owner.agency, Owner.display_name, Owner.user_subject)
        .join(Owner, Owner.owner_id == Reminder.owner_id)
        .where(Reminder.reminder_date == (on or today()))
        .order_by(Owner.title)
    )
    if owner_id is not None:
        stmt = stmt.where(Reminder.owner_id == owner_id)
    return [
        ReminderRead(
            owner_id=r.owner_id,
            owner=title,
            agency=agency,
            person=person,
            user_subject=subject,
            reminder_date=r.reminder_date,
            action_refs=list(r.action_refs),
            step_refs=list(r.step_refs),
            created_at=r.created_at,
        )
        for r, title, agency, person, subject in await session.execute(stmt)
    ]


@router.post("/run", response_model=ReminderRun, summary="Collect today's reminders now")
async def run_now(request: Request, session: SessionDep, caller: CallerDep) -> ReminderRun:
    access.require_plan_manager(caller)
    settings = request.app.state.settings
    day = today()
    recorded = await run_reminders(
        session, day, settings.reminders_due_within_days, settings.reminders_stale_after_days
    )
    return ReminderRun(reminder_date=day, recorded=recorded)
