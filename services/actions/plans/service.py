"""Rules for the plan's structure: plans and their editions, themes, success criteria and
the owners directory (every agency reads them; council plan managers change them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.actions import repository as actions
from services.actions.actions.service import due_fields
from services.actions.events import emit
from services.actions.plans import carry
from services.actions.plans import repository as repo
from services.actions.plans.models import Plan
from services.actions.plans.schemas import (
    CriterionRead,
    OwnerCreate,
    OwnerLink,
    OwnerRead,
    PlanRead,
    PlanRefresh,
    PlanRefreshed,
    PlanUpdate,
    ThemeRead,
)
from services.actions.sprints import repository as sprints
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import InvalidInput, NotFound, conflict, field_error, invalid

#: the longest period an edition may run (ten years)
MAX_PERIOD_DAYS = 3653

#: the fields each list sorts by (``?sort=``)
PLAN_SORT = tuple(repo.PLAN_SORT)
THEME_SORT = tuple(repo.THEME_SORT)
CRITERION_SORT = tuple(repo.CRITERION_SORT)
OWNER_SORT = tuple(repo.OWNER_SORT)


def plan_etag(plan: Plan) -> str:
    return etag_for("plan", plan.plan_id, plan.version)


async def page(
    session: AsyncSession, sort: list[SortKey], limit: int, offset: int
) -> Page[PlanRead]:
    plans, total = await repo.list_plans(session, sort, limit, offset)
    return Page[PlanRead](
        items=[PlanRead.model_validate(p, from_attributes=True) for p in plans],
        total=total,
        limit=limit,
        offset=offset,
    )


async def get(session: AsyncSession, plan_id: int) -> tuple[PlanRead, str]:
    """The plan and its ETag."""
    plan = await repo.get_plan(session, plan_id)
    if plan is None:
        raise NotFound("no such plan")
    return PlanRead.model_validate(plan, from_attributes=True), plan_etag(plan)


async def _locked_open_plan(session: AsyncSession, plan_id: int, if_match: str | None) -> Plan:
    plan = await repo.get_plan(session, plan_id, lock=True)
    if plan is None:
        raise NotFound("no such plan")
    check_if_match(if_match, plan_etag(plan))
    if plan.status == "closed":
        raise conflict("status", "the plan is closed", "plan_closed")
    return plan


async def patch(
    session: AsyncSession, caller: Caller, plan_id: int, body: PlanUpdate, if_match: str | None
) -> tuple[PlanRead, str]:
    access.require_plan_manager(caller)
    plan = await _locked_open_plan(session, plan_id, if_match)
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    await repo.update_plan(session, plan_id, values)
    await emit(session, caller, "plan.updated", "plan", plan_id, {"fields": sorted(values)})
    await session.refresh(plan)
    return PlanRead.model_validate(plan, from_attributes=True), plan_etag(plan)


async def themes(
    session: AsyncSession, plan_id: int | None, sort: list[SortKey], page: PageParams
) -> Page[ThemeRead]:
    rows, total = await repo.list_themes(session, plan_id, sort, page)
    return page_of([ThemeRead.model_validate(t, from_attributes=True) for t in rows], total, page)


async def criteria(
    session: AsyncSession,
    plan_id: int | None,
    theme: int | None,
    sort: list[SortKey],
    page: PageParams,
) -> Page[CriterionRead]:
    rows, total = await repo.list_criteria(session, plan_id, theme, sort, page)
    return page_of([CriterionRead.model_validate(r) for r in rows], total, page)


async def owners(
    session: AsyncSession, agency: str | None, sort: list[SortKey], page: PageParams
) -> Page[OwnerRead]:
    rows, total = await repo.list_owners(session, agency, sort, page)
    return page_of([OwnerRead.model_validate(o, from_attributes=True) for o in rows], total, page)


async def create_owner(session: AsyncSession, caller: Caller, body: OwnerCreate) -> OwnerRead:
    access.require_plan_manager(caller)
    if (body.user_subject is None) != (body.display_name is None):
        raise invalid(
            "display_name", "a person is linked by both subject and name", "person_incomplete"
        )
    await repo.lock_owner_title(session, body.title)
    taken = conflict("title", "an owner with this title exists", "owner_exists")
    if await repo.owner_title_taken(session, body.title):
        raise taken
    owner = await repo.insert_owner(session, body.model_dump())
    if owner is None:
        raise taken
    await emit(session, caller, "owner.created", "owner", owner.owner_id, {"title": owner.title})
    return OwnerRead.model_validate(owner, from_attributes=True)


async def link_owner(
    session: AsyncSession, caller: Caller, owner_id: int, body: OwnerLink
) -> OwnerRead:
    """Link a role to the person holding it, or unlink it (both fields null)."""
    access.require_plan_manager(caller)
    if (body.user_subject is None) != (body.display_name is None):
        raise invalid(
            "display_name", "a person is linked by both subject and name", "person_incomplete"
        )
    owner = await repo.get_owner(session, owner_id, lock=True)
    if owner is None:
        raise NotFound("no such owner")
    values = {"user_subject": body.user_subject, "display_name": body.display_name}
    await repo.update_owner(session, owner_id, values)
    await emit(
        session,
        caller,
        "owner.linked" if body.user_subject else "owner.unlinked",
        "owner",
        owner_id,
        {"title": owner.title, "agency": owner.agency, **values},
    )
    await session.refresh(owner)
    return OwnerRead.model_validate(owner, from_attributes=True)


async def refresh(
    session: AsyncSession, caller: Caller, plan_id: int, body: PlanRefresh, if_match: str | None
) -> PlanRefreshed:
    """Refresh a plan into its next edition and period.

    Every open action moves to the new edition with its history (progress updates, status
    events, owners, recommendation links stay on the action) and the new dates given; done
    actions stay in the old edition, which closes. Themes, success criteria and their
    indicator links are copied; the new edition gets its own sprints. Risks not closed move
    too and recommendations are copied with their links (:mod:`.carry`). Everything is
    validated before anything is written.
    """
    access.require_plan_manager(caller)
    old = await _locked_open_plan(session, plan_id, if_match)
    if old.status != "active":
        raise conflict("status", "only an active plan is refreshed", "plan_not_active")
    if body.start_date <= old.start_date:
        raise invalid(
            "start_date", f"the new period starts after the plan's start ({old.start_date})"
        )
    if body.end_date <= body.start_date:
        raise invalid("end_date", "the new period ends after it starts", "dates")
    if (body.end_date - body.start_date).days > MAX_PERIOD_DAYS:
        raise invalid("end_date", "a plan's period is at most ten years", "period_too_long")
    title = body.title or old.title
    if await repo.edition_taken(session, title, old.authority, old.edition + 1):
        raise conflict("title", "this plan already has a next edition", "edition_exists")
    # the new period as a plan (not yet written) to validate the carried dates against
    period = Plan(
        title=title,
        authority=old.authority,
        start_date=body.start_date,
        end_date=body.end_date,
        status="active",
    )
    default = (
        due_fields(period, body.default_due_date, None, prefix="default_")
        if body.default_due_date is not None
        else None
    )
    await carry.lock(session, plan_id)
    every = await repo.plan_actions(session, plan_id)
    by_ref = {a.ref: a for a in every}
    errors: list[dict[str, str]] = []
    new_dates: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(body.carry):
        field = f"carry[{i}]"
        action = by_ref.get(c.ref)
        if action is None:
            errors.append(field_error(f"{field}.ref", "the plan has no such action", "unknown"))
        elif not repo.is_open(action):
            errors.append(
                field_error(f"{field}.ref", "a done action stays in the old edition", "done")
            )
        elif c.ref in new_dates:
            errors.append(field_error(f"{field}.ref", "the action is listed twice", "repeated"))
        elif c.due_date is None and c.due_sprint is None:
            errors.append(
                field_error(f"{field}.due_date", "give a due date or a sprint", "missing")
            )
        else:
            try:
                new_dates[c.ref] = due_fields(period, c.due_date, c.due_sprint, prefix=f"{field}.")
            except InvalidInput as exc:
                errors.extend(exc.extensions["errors"])
    carried = [a for a in every if repo.is_open(a)]
    undated = [a.ref for a in carried if a.ref not in new_dates]
    if undated and default is None and not errors:
        errors.append(
            field_error(
                "carry",
                f"{len(undated)} open action(s) need new dates (or give default_due_date): "
                + ", ".join(undated[:20])
                + (" …" if len(undated) > 20 else ""),
                "dates_missing",
            )
        )
    if errors:
        raise InvalidInput(
            "the refresh was refused; nothing was changed", extensions={"errors": errors}
        )
    # validated: write
    new = await repo.insert_plan(
        session,
        {
            "title": title,
            "authority": old.authority,
            "start_date": body.start_date,
            "end_date": body.end_date,
            "status": "active",
            "edition": old.edition + 1,
            "previous_plan_id": old.plan_id,
        },
    )
    theme_map, criterion_map = await repo.copy_structure(session, old.plan_id, new.plan_id)
    sprint_total = await sprints.insert_sprints(
        session, new.plan_id, body.start_date, body.end_date
    )
    for a in carried:
        dates = new_dates.get(a.ref) or default or {}
        was_due, was_text = a.due_on, a.due_text
        await actions.bump(
            session,
            a.action_id,
            {
                "plan_id": new.plan_id,
                "theme_id": theme_map[a.theme_id],
                "criterion_id": criterion_map[a.criterion_id],
                **dates,
            },
        )
        carried_detail = {
            "from_plan": old.plan_id,
            "to_plan": new.plan_id,
            "edition": new.edition,
            "from_due_on": was_due.isoformat() if was_due else None,
            "from_due_text": was_text,
            "to_due_on": dates["due_on"].isoformat() if dates.get("due_on") else None,
            "status": a.status,
        }
        await actions.add_event(
            session, a.action_id, "carried_to_plan", carried_detail, caller.subject, caller.agency
        )
        await emit(
            session,
            caller,
            "action.carried",
            "action",
            a.action_id,
            {"ref": a.ref, **carried_detail},
        )
    ref_of = {a.action_id: a.ref for a in carried}
    cleared = await repo.clear_step_dates_outside(
        session, list(ref_of), body.start_date, body.end_date
    )
    step_refs = sorted(f"{ref_of[a]}#{n}" for a, n in cleared)
    also = await carry.carry(session, caller, old.plan_id, new.plan_id, carried)
    await repo.update_plan(session, old.plan_id, {"status": "closed"})
    left = [a.ref for a in every if not repo.is_open(a)]
    counts = {
        "carried": len(carried),
        "left": len(left),
        "themes": len(theme_map),
        "success_criteria": len(criterion_map),
        "sprints": sprint_total,
        "step_dates_cleared": len(step_refs),
        **also.counts(),
    }
    await emit(
        session,
        caller,
        "plan.refreshed",
        "plan",
        new.plan_id,
        {
            "previous_plan_id": old.plan_id,
            "edition": new.edition,
            "start_date": body.start_date.isoformat(),
            "end_date": body.end_date.isoformat(),
            "carried": [a.ref for a in carried],
            "left": left,
            "step_dates_cleared": step_refs,
            "risks_carried": also.risks_carried,
            "risks_left": also.risks_left,
            "recommendations": also.recommendations,
            "counts": counts,
        },
    )
    await emit(
        session,
        caller,
        "plan.updated",
        "plan",
        old.plan_id,
        {"fields": ["status"], "status": "closed", "refreshed_into": new.plan_id},
    )
    await session.refresh(new)
    return PlanRefreshed(
        plan=PlanRead.model_validate(new, from_attributes=True),
        previous_plan_id=old.plan_id,
        carried=[a.ref for a in carried],
        left=left,
        step_dates_cleared=step_refs,
        risks_carried=also.risks_carried,
        risks_left=also.risks_left,
        recommendations=also.recommendations,
        counts=counts,
    )
