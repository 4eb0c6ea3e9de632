"""HTTP for reminders: what was recorded (all agencies read), and a manual run (managers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.actions.reminders import service
from services.actions.reminders.schemas import ReminderRead, ReminderRun
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/reminders", tags=["reminders"])


@router.get("", summary="Reminders recorded for a day")
async def list_reminders(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.REMINDER_SORT, "owner")],
    on: Annotated[date | None, Query(description="default today")] = None,
    owner_id: Annotated[int | None, Query(ge=1)] = None,
) -> Page[ReminderRead]:
    """One page of the reminders recorded for a day, by owner."""
    return await service.recorded(session, page, on, owner_id, sort)


@router.post("/run", response_model=ReminderRun, summary="Collect today's reminders now")
async def run_now(request: Request, session: SessionDep, caller: CallerDep) -> ReminderRun:
    settings = request.app.state.settings
    return await service.run_now(
        session, caller, settings.reminders_due_within_days, settings.reminders_stale_after_days
    )
