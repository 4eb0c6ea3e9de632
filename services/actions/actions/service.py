"""Rules for actions: reading, creating and changing them, and moving their status."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.actions import repository as repo
from services.actions.actions.models import Action
from services.actions.actions.schemas import (
    ActionCreate,
    ActionRead,
    ActionUpdate,
    StatusChange,
    StepUpdate,
    UpdateRead,
)
from services.actions.actions.status import allowed_moves
from services.actions.events import emit
from services.actions.plans import repository as plans
from services.actions.plans.models import Plan
from services.actions.sprints.calendar import sprint_bounds, sprint_count, sprint_of
from shared.clock import utc_now, utc_today
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, SortKey
from shared.problems import Forbidden, NotFound, conflict, invalid

#: What the router builds a listing from (the repository's filters and sortable fields).
ActionFilters = repo.ActionFilters
SORTABLE = repo.SORTABLE
UPDATE_SORT = tuple(repo.UPDATE_SORT)


def today() -> date:
    return utc_today()


def action_etag(action_id: int, version: int) -> str:
    return etag_for("action", action_id, version)


def decorate(item: dict[str, Any]) -> dict[str, Any]:
    item["rag_disagrees"] = bool(
        item["declared_rag"]
        and item["computed_rag"]
        and item["declared_rag"] != item["computed_rag"]
    )
    return item


async def read(session: AsyncSession, action_id: int) -> dict[str, Any]:
    item = await repo.get_action(session, action_id, today())
    if item is None:
        raise NotFound("no such action")
    return decorate(item)


async def page(
    session: AsyncSession,
    filters: ActionFilters,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> Page[ActionRead]:
    """One page of the actions matching ``filters``, decorated with today's RAG."""
    items, total = await repo.list_actions(session, filters, today(), sort, limit, offset)
    return Page[ActionRead](
        items=[ActionRead.model_validate(decorate(i)) for i in items],
        total=total,
        limit=limit,
        offset=offset,
    )


async def updates(
    session: AsyncSession, action_id: int, sort: list[SortKey], limit: int, offset: int
) -> Page[UpdateRead]:
    """An action's progress updates, newest first unless ``sort`` says otherwise (not found
    when the action is not)."""
    await read(session, action_id)
    items, total = await repo.recent_updates(session, action_id, limit, offset, sort)
    return Page[UpdateRead](
        items=[UpdateRead.model_validate(i) for i in items],
        total=total,
        limit=limit,
        offset=offset,
    )


async def detail(session: AsyncSession, action_id: int) -> dict[str, Any]:
    """The action with its steps, recent updates, recommendations and history (one query)."""
    item = await repo.get_detail(session, action_id, today())
    if item is None:
        raise NotFound("no such action")
    return decorate(item)


def due_fields(
    plan: Plan, due_date: date | None, due_sprint: int | None, prefix: str = ""
) -> dict[str, Any]:
    """The due fields for a date or a sprint, refused when outside the plan (the problem
    names ``<prefix>due_date`` or ``<prefix>due_sprint``)."""
    if due_date is not None and due_sprint is not None:
        raise invalid(f"{prefix}due_date", "give a due date or a sprint, not both", "due_conflict")
    if due_date is not None:
        if not plan.start_date <= due_date <= plan.end_date:
            raise invalid(
                f"{prefix}due_date",
                f"must fall within the plan ({plan.start_date} to {plan.end_date})",
                "due_outside_plan",
            )
        return {
            "due_date": due_date,
            "due_sprint": None,
            "due_text": due_date.isoformat(),
            "start_on": plan.start_date,
            "due_on": due_date,
            "sprint_number": sprint_of(plan.start_date, due_date),
        }
    if due_sprint is not None:
        if due_sprint > sprint_count(plan.start_date, plan.end_date):
            raise invalid(f"{prefix}due_sprint", "the plan has no such sprint", "due_outside_plan")
        start, end = sprint_bounds(plan.start_date, due_sprint)
        return {
            "due_date": None,
            "due_sprint": due_sprint,
            "due_text": f"Sprint {due_sprint}",
            "start_on": start,
            "due_on": min(end, plan.end_date),
            "sprint_number": due_sprint,
        }
    return {
        "due_date": None,
        "due_sprint": None,
        "due_text": None,
        "start_on": plan.start_date,
        "due_on": None,
        "sprint_number": None,
    }


async def _open_plan(session: AsyncSession, plan_id: int, field: str = "plan_id") -> Plan:
    plan = await plans.get_plan(session, plan_id)
    if plan is None:
        raise invalid(field, "no such plan", "unknown_plan")
    if plan.status == "closed":
        raise conflict(field, "the plan is closed; it takes no more changes", "plan_closed")
    return plan


async def _check_owners(session: AsyncSession, owner_ids: list[int]) -> None:
    missing = set(owner_ids) - await repo.existing_owner_ids(session, owner_ids)
    if missing:
        raise invalid("owner_ids", "unknown owner id(s): " + ", ".join(map(str, sorted(missing))))


async def create(session: AsyncSession, caller: Caller, body: ActionCreate) -> dict[str, Any]:
    access.require_plan_manager(caller)
    plan = await _open_plan(session, body.plan_id)
    criterion = await plans.criterion_by_code(session, plan.plan_id, body.criterion_code)
    if criterion is None:
        raise invalid("criterion_code", "the plan has no such theme and success criterion")
    if not body.ref.startswith(body.criterion_code):
        raise invalid("ref", "an action's ref starts with its success criterion's code")
    if await repo.ref_taken(session, plan.plan_id, body.ref):
        raise conflict("ref", "the plan already has an action with this ref", "ref_taken")
    await _check_owners(session, body.owner_ids)
    action_id = await repo.insert_action(
        session,
        {
            "plan_id": plan.plan_id,
            "theme_id": criterion.theme_id,
            "criterion_id": criterion.criterion_id,
            "ref": body.ref,
            "title": body.title,
            "description": body.description,
            "lead_agency": body.lead_agency,
            "contributing_agencies": sorted(
                set(body.contributing_agencies) | {a for s in body.steps for a in s.agencies}
            ),
            "indicator_codes": body.indicator_codes,
            "audit_finding_refs": body.audit_finding_refs,
            "status": "not_started",
            **due_fields(plan, body.due_date, body.due_sprint),
        },
    )
    await repo.insert_steps(session, action_id, body.steps)
    await repo.set_owners(session, action_id, body.owner_ids)
    await repo.add_event(
        session, action_id, "created", {"ref": body.ref}, caller.subject, caller.agency
    )
    await emit(session, caller, "action.created", "action", action_id, {"ref": body.ref})
    return await read(session, action_id)


async def _locked(session: AsyncSession, action_id: int, if_match: str | None) -> Action:
    action = await repo.lock_action(session, action_id)
    if action is None:
        raise NotFound("no such action")
    check_if_match(if_match, action_etag(action.action_id, action.version))
    return action


async def patch(
    session: AsyncSession, caller: Caller, action_id: int, body: ActionUpdate, if_match: str | None
) -> dict[str, Any]:
    access.require_plan_manager(caller)
    action = await _locked(session, action_id, if_match)
    plan = await _open_plan(session, action.plan_id, field="action")
    changes = body.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    for name in ("title", "description", "lead_agency", "indicator_codes", "audit_finding_refs"):
        if name in changes and changes[name] is not None:
            values[name] = changes[name]
    if "contributing_agencies" in changes and changes["contributing_agencies"] is not None:
        values["contributing_agencies"] = sorted(set(changes["contributing_agencies"]))
    if "due_date" in changes or "due_sprint" in changes:
        values |= due_fields(plan, changes.get("due_date"), changes.get("due_sprint"))
    if changes.get("owner_ids") is not None:
        await _check_owners(session, changes["owner_ids"])
        await repo.set_owners(session, action_id, changes["owner_ids"])
    await repo.bump(session, action_id, values)
    changed = sorted(changes)
    await repo.add_event(
        session, action_id, "edited", {"fields": changed}, caller.subject, caller.agency
    )
    await emit(
        session,
        caller,
        "action.updated",
        "action",
        action_id,
        {"ref": action.ref, "fields": changed},
    )
    return await read(session, action_id)


async def change_status(
    session: AsyncSession,
    caller: Caller,
    action_id: int,
    body: StatusChange,
    if_match: str | None,
) -> dict[str, Any]:
    action = await repo.lock_action(session, action_id)
    if action is None:
        raise NotFound("no such action")
    if body.status == "embedded":
        if not access.can_mark_embedded(caller):
            raise Forbidden("only the plan manager or an auditor may mark an action embedded")
    else:
        access.require_status_changer(caller, action.lead_agency)
    check_if_match(if_match, action_etag(action.action_id, action.version))
    await _open_plan(session, action.plan_id, field="action")
    allowed = allowed_moves(action.status)
    if body.status not in allowed:
        raise conflict(
            "status",
            f"cannot move from {action.status} to {body.status}; allowed: "
            + (", ".join(allowed) or "none"),
            "illegal_transition",
            allowed=list(allowed),
        )
    if body.status == "completed" and not action.has_evidence:
        raise conflict(
            "status",
            "completing needs a progress update with evidence",
            "evidence_required",
        )
    values: dict[str, Any] = {"status": body.status}
    if body.status == "completed":
        values |= {"completed_at": utc_now(), "percent_complete": 100}
    elif body.status == "in_progress" and action.status == "completed":
        values["completed_at"] = None
    await repo.bump(session, action_id, values)
    detail = {"from": action.status, "to": body.status, "note": body.note}
    await repo.add_event(session, action_id, "status", detail, caller.subject, caller.agency)
    await emit(
        session,
        caller,
        "action.status_changed",
        "action",
        action_id,
        {"ref": action.ref, "from": action.status, "to": body.status},
    )
    return await read(session, action_id)


async def patch_step(
    session: AsyncSession,
    caller: Caller,
    action_id: int,
    number: int,
    body: StepUpdate,
    if_match: str | None,
) -> dict[str, Any]:
    """Set a step's owner, due date or status (plan managers; the action's If-Match).

    The owner is an owner role linked to a person (so a reminder names someone who can
    act) of an agency taking part in the action; the due date falls inside the plan."""
    access.require_plan_manager(caller)
    action = await _locked(session, action_id, if_match)
    plan = await _open_plan(session, action.plan_id, field="action")
    step = await repo.get_step(session, action_id, number)
    if step is None:
        raise NotFound("the action has no such step")
    changes = body.model_dump(exclude_unset=True)
    if "status" in changes and changes["status"] is None:
        raise invalid("status", "a step always has a status", "required")
    owner_id = changes.get("owner_id")
    if owner_id is not None:
        owner = await repo.get_owner(session, owner_id)
        if owner is None:
            raise invalid("owner_id", "no such owner", "unknown_owner")
        if owner.user_subject is None:
            raise invalid(
                "owner_id",
                "the owner role is linked to no person (PUT /v1/owners/{id}/person first)",
                "owner_not_a_person",
            )
        taking_part = {action.lead_agency, *action.contributing_agencies, *step.agencies}
        if owner.agency not in taking_part:
            raise invalid(
                "owner_id", "the owner's agency takes no part in this action", "owner_agency"
            )
    due = changes.get("due_date")
    if due is not None and not plan.start_date <= due <= plan.end_date:
        raise invalid(
            "due_date",
            f"must fall within the plan ({plan.start_date} to {plan.end_date})",
            "due_outside_plan",
        )
    await repo.update_step(session, step.step_id, changes)
    await repo.bump(session, action_id, {})
    what = {"step": number, "fields": sorted(changes)} | {
        k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()
    }
    await repo.add_event(session, action_id, "step_updated", what, caller.subject, caller.agency)
    await emit(
        session, caller, "action.step_updated", "action", action_id, {"ref": action.ref, **what}
    )
    return await detail(session, action_id)
