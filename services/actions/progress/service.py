"""Rules for progress updates: who may report, what an update changes on its action."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.actions import repository as actions
from services.actions.actions.service import _open_plan, action_etag, today
from services.actions.events import emit
from services.actions.progress import repository as repo
from services.actions.progress.schemas import UpdateCreate
from shared.clock import utc_now
from shared.etag import check_if_match
from shared.identity import Caller
from shared.problems import NotFound, invalid


async def add_update(
    session: AsyncSession,
    caller: Caller,
    action_id: int,
    body: UpdateCreate,
    if_match: str | None,
) -> dict[str, Any]:
    action = await actions.lock_action(session, action_id)
    if action is None:
        raise NotFound("no such action")
    step = None
    if body.step_number is not None:
        step = await repo.step_by_number(session, action_id, body.step_number)
        if step is None:
            raise invalid("step_number", "the action has no such step", "unknown_step")
        access.require_contributor_for(caller, [action.lead_agency, *step.agencies])
    else:
        access.require_contributor_for(caller, [action.lead_agency, *action.contributing_agencies])
    check_if_match(if_match, action_etag(action.action_id, action.version))
    await _open_plan(session, action.plan_id, field="action")
    day = body.update_date or today()
    if day > today() + timedelta(days=1):
        raise invalid("update_date", "cannot report progress in the future", "future_date")
    update_id = await repo.insert_update(
        session,
        {
            "action_id": action_id,
            "step_id": step.step_id if step else None,
            "author": caller.subject,
            "agency": caller.agency,
            "update_date": day,
            "narrative": body.narrative,
            "percent_complete": body.percent_complete,
            "declared_rag": body.declared_rag,
            "evidence": body.evidence,
        },
    )
    values: dict[str, Any] = {
        "declared_rag": body.declared_rag,
        "last_update_at": func.now(),
        "has_evidence": action.has_evidence or bool(body.evidence),
    }
    if step is None and action.status not in ("completed", "embedded"):
        values["percent_complete"] = body.percent_complete
    if action.status == "not_started" and body.percent_complete > 0:
        values["status"] = "in_progress"
        await actions.add_event(
            session,
            action_id,
            "status",
            {"from": "not_started", "to": "in_progress", "note": "first progress reported"},
            caller.subject,
            caller.agency,
        )
    await actions.bump(session, action_id, values)
    await emit(
        session,
        caller,
        "action.progress_reported",
        "action",
        action_id,
        {
            "ref": action.ref,
            "update_id": update_id,
            "percent_complete": body.percent_complete,
            "declared_rag": body.declared_rag,
            "evidence_count": len(body.evidence),
        },
    )
    items, _ = await actions.recent_updates(session, action_id, limit=1)
    result = items[0]
    result["created_at"] = result["created_at"] or utc_now()
    return result
