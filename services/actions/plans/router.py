"""HTTP for the plan's structure: plans and their editions, themes, success criteria and
owners."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.actions.plans import service
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
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1", tags=["plan"])
PlanId = Annotated[int, Path(ge=1, le=2_147_483_647)]
OwnerId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PlanSort = Annotated[list[SortKey], sort_query(service.PLAN_SORT, "plan_id")]
ThemeSort = Annotated[list[SortKey], sort_query(service.THEME_SORT, "plan_id,number")]
CriterionSort = Annotated[list[SortKey], sort_query(service.CRITERION_SORT, "plan_id,code")]
OwnerSort = Annotated[list[SortKey], sort_query(service.OWNER_SORT, "title")]


@router.get("/plans", response_model=Page[PlanRead], summary="Plans and their editions")
async def list_plans(
    session: SessionDep, caller: CallerDep, page: PageDep, sort: PlanSort
) -> Page[PlanRead]:
    """Every plan, oldest first unless ``sort`` says otherwise; a refreshed plan's next
    edition names the one before it (``previous_plan_id``)."""
    return await service.page(session, sort, page.limit, page.offset)


@router.get("/plans/{plan_id}", response_model=PlanRead, summary="One plan")
async def get_plan(
    session: SessionDep, caller: CallerDep, plan_id: PlanId, response: Response
) -> PlanRead:
    plan, response.headers["ETag"] = await service.get(session, plan_id)
    return plan


@router.patch("/plans/{plan_id}", response_model=PlanRead, summary="Rename or close a plan")
async def patch_plan(
    session: SessionDep,
    caller: CallerDep,
    plan_id: PlanId,
    body: PlanUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> PlanRead:
    plan, response.headers["ETag"] = await service.patch(session, caller, plan_id, body, if_match)
    return plan


@router.post(
    "/plans/{plan_id}/refresh",
    status_code=201,
    response_model=PlanRefreshed,
    summary="Refresh a plan into its next edition and period, carrying its open actions",
)
async def refresh_plan(
    session: SessionDep,
    caller: CallerDep,
    plan_id: PlanId,
    body: PlanRefresh,
    if_match: IfMatchHeader = None,
) -> PlanRefreshed:
    """Open actions move to the new edition with their history (progress updates, status
    events, owners, recommendation links) and new dates, each inside the new period (a
    date or a sprint per action in ``carry``, else ``default_due_date``); done actions stay
    in the old edition, which closes. Themes, success criteria and their indicator links
    are copied, sprints made for the new period. Risks not closed move to the new edition
    with their history (closed ones stay); each recommendation is copied into it, linked to
    its carried actions and, as history, to its done actions in the closed edition (each
    link names the action's plan); the closed edition's recommendations stay as they were.
    A date outside the period, an unknown or done ref, or an open action left without a
    date refuses the whole refresh (422 naming each field); nothing is written. Needs the
    plan's ``If-Match``."""
    return await service.refresh(session, caller, plan_id, body, if_match)


@router.get("/themes", response_model=Page[ThemeRead], summary="Themes")
async def list_themes(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: ThemeSort,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
) -> Page[ThemeRead]:
    """Themes by plan, then number, unless ``sort`` says otherwise (ties by id)."""
    return await service.themes(session, plan_id, sort, page)


@router.get("/success-criteria", response_model=Page[CriterionRead], summary="Success criteria")
async def list_criteria(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: CriterionSort,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    theme: Annotated[int | None, Query(ge=1, le=9)] = None,
) -> Page[CriterionRead]:
    """Success criteria by plan, then code, unless ``sort`` says otherwise (ties by id)."""
    return await service.criteria(session, plan_id, theme, sort, page)


@router.get("/owners", response_model=Page[OwnerRead], summary="The owners directory (roles)")
async def list_owners(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: OwnerSort,
    agency: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_-]{1,39}$")] = None,
) -> Page[OwnerRead]:
    """Owner roles by title unless ``sort`` says otherwise (ties by id)."""
    return await service.owners(session, agency, sort, page)


@router.post("/owners", status_code=201, response_model=OwnerRead, summary="Add an owner role")
async def create_owner(session: SessionDep, caller: CallerDep, body: OwnerCreate) -> OwnerRead:
    return await service.create_owner(session, caller, body)


@router.put(
    "/owners/{owner_id}/person",
    response_model=OwnerRead,
    summary="Link an owner role to the person holding it (or unlink it)",
)
async def link_owner(
    session: SessionDep, caller: CallerDep, owner_id: OwnerId, body: OwnerLink
) -> OwnerRead:
    """The person's user account subject and display name, as the plan manager gives them
    (this service cannot read the gateway's accounts); both null unlinks. Steps are owned
    only by roles linked to a person, so a reminder names someone who can act."""
    return await service.link_owner(session, caller, owner_id, body)
