"""HTTP for the plan's structure: plans, themes, success criteria and owners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.actions import access
from services.actions.events import emit
from services.actions.plans import repository as repo
from services.actions.plans.schemas import (
    CriterionRead,
    OwnerCreate,
    OwnerRead,
    PlanPatch,
    PlanRead,
    ThemeRead,
)
from shared.db import SessionDep
from shared.etag import IfMatchHeader, check_if_match, etag_for
from shared.identity import CallerDep
from shared.problems import NotFound, conflict

router = APIRouter(prefix="/v1", tags=["plan"])
PlanId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("/plans", response_model=list[PlanRead], summary="Plans")
async def list_plans(session: SessionDep, caller: CallerDep) -> list[PlanRead]:
    return [
        PlanRead.model_validate(p, from_attributes=True) for p in await repo.list_plans(session)
    ]


@router.get("/plans/{plan_id}", response_model=PlanRead, summary="One plan")
async def get_plan(
    session: SessionDep, caller: CallerDep, plan_id: PlanId, response: Response
) -> PlanRead:
    plan = await repo.get_plan(session, plan_id)
    if plan is None:
        raise NotFound("no such plan")
    response.headers["ETag"] = etag_for("plan", plan.plan_id, plan.version)
    return PlanRead.model_validate(plan, from_attributes=True)


@router.patch("/plans/{plan_id}", response_model=PlanRead, summary="Rename or close a plan")
async def patch_plan(
    session: SessionDep,
    caller: CallerDep,
    plan_id: PlanId,
    body: PlanPatch,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PlanRead:
    access.require_plan_manager(caller)
    plan = await repo.get_plan(session, plan_id, lock=True)
    if plan is None:
        raise NotFound("no such plan")
    check_if_match(if_match, etag_for("plan", plan.plan_id, plan.version))
    if plan.status == "closed":
        raise conflict("status", "the plan is closed", "plan_closed")
    values = body.model_dump(exclude_unset=True, exclude_none=True)
    await repo.update_plan(session, plan_id, values)
    await emit(session, caller, "plan.updated", "plan", plan_id, {"fields": sorted(values)})
    await session.refresh(plan)
    response.headers["ETag"] = etag_for("plan", plan.plan_id, plan.version)
    return PlanRead.model_validate(plan, from_attributes=True)


@router.get("/themes", response_model=list[ThemeRead], summary="Themes")
async def list_themes(
    session: SessionDep, caller: CallerDep, plan_id: Annotated[int | None, Query(ge=1)] = None
) -> list[ThemeRead]:
    themes = await repo.list_themes(session, plan_id)
    return [ThemeRead.model_validate(t, from_attributes=True) for t in themes]


@router.get("/success-criteria", response_model=list[CriterionRead], summary="Success criteria")
async def list_criteria(
    session: SessionDep,
    caller: CallerDep,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    theme: Annotated[int | None, Query(ge=1, le=9)] = None,
) -> list[CriterionRead]:
    rows = await repo.list_criteria(session, plan_id, theme)
    return [CriterionRead.model_validate(r) for r in rows]


@router.get("/owners", response_model=list[OwnerRead], summary="The owners directory (roles)")
async def list_owners(
    session: SessionDep,
    caller: CallerDep,
    agency: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]{1,39}$")] = None,
) -> list[OwnerRead]:
    owners = await repo.list_owners(session, agency)
    return [OwnerRead.model_validate(o, from_attributes=True) for o in owners]


@router.post("/owners", status_code=201, response_model=OwnerRead, summary="Add an owner role")
async def create_owner(session: SessionDep, caller: CallerDep, body: OwnerCreate) -> OwnerRead:
    access.require_plan_manager(caller)
    await repo.lock_owner_title(session, body.title)
    taken = conflict("title", "an owner with this title exists", "owner_exists")
    if await repo.owner_title_taken(session, body.title):
        raise taken
    owner = await repo.insert_owner(session, body.model_dump())
    if owner is None:
        raise taken
    await emit(session, caller, "owner.created", "owner", owner.owner_id, {"title": owner.title})
    return OwnerRead.model_validate(owner, from_attributes=True)
