"""HTTP for actions: list and read (every agency), create and edit (plan managers),
status moves and progress updates (contributors of the agencies involved)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from services.actions.actions import service
from services.actions.actions.schemas import (
    ActionCreate,
    ActionDetail,
    ActionRead,
    ActionUpdate,
    Agency,
    CriterionCode,
    Rag,
    Ref,
    Status,
    StatusChange,
    StepUpdate,
    UpdateRead,
)
from services.actions.db import idempotency
from services.actions.progress import service as progress
from services.actions.progress.schemas import UpdateCreate
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.idempotency import IdempotencyKeyHeader, caller_scope, run_idempotent_post
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/actions", tags=["actions"])
ActionId = Annotated[int, Path(ge=1, le=2_147_483_647)]
SortDep = Annotated[list[SortKey], sort_query(list(service.SORTABLE), "ref")]
UpdateSort = Annotated[list[SortKey], sort_query(service.UPDATE_SORT, "-created_at,-update_id")]


def _with_etag(response: Response, item: dict[str, object]) -> None:
    response.headers["ETag"] = service.action_etag(int(item["action_id"]), int(item["version"]))  # type: ignore[call-overload]


@router.get("", response_model=Page[ActionRead], summary="List actions with filters")
async def list_actions(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: SortDep,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    theme: Annotated[int | None, Query(ge=1, le=9)] = None,
    criterion: CriterionCode | None = None,
    ref: Ref | None = None,
    agency: Agency | None = None,
    owner_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[list[Status] | None, Query(max_length=6)] = None,
    declared_rag: Rag | None = None,
    computed_rag: Rag | None = None,
    overdue: bool | None = None,
    due_before: date | None = None,
    due_after: date | None = None,
    sprint: Annotated[int | None, Query(ge=1, le=52)] = None,
    recommendation: Annotated[int | None, Query(ge=1, le=999)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> Page[ActionRead]:
    filters = service.ActionFilters(
        plan_id=plan_id,
        theme=theme,
        criterion=criterion,
        ref=ref,
        agency=agency,
        owner_id=owner_id,
        status=tuple(status or ()),
        declared_rag=declared_rag,
        computed_rag=computed_rag,
        overdue=overdue,
        due_before=due_before,
        due_after=due_after,
        sprint=sprint,
        recommendation=recommendation,
        q=q,
    )
    return await service.page(session, filters, sort, page.limit, page.offset)


@router.get("/mine", response_model=Page[ActionRead], summary="My agency's actions")
async def my_agency_actions(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: SortDep,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[list[Status] | None, Query(max_length=6)] = None,
    overdue: bool | None = None,
) -> Page[ActionRead]:
    filters = service.ActionFilters(
        plan_id=plan_id, agency=caller.agency, status=tuple(status or ()), overdue=overdue
    )
    return await service.page(session, filters, sort, page.limit, page.offset)


@router.get("/{action_id}", response_model=ActionDetail, summary="One action in full")
async def get_action(
    session: SessionDep, caller: CallerDep, action_id: ActionId, response: Response
) -> ActionDetail:
    item = await service.detail(session, action_id)
    _with_etag(response, item)
    return ActionDetail.model_validate(item)


@router.post("", status_code=201, response_model=ActionRead, summary="Add an action")
async def create_action(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    body: ActionCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def produce() -> tuple[int, object, dict[str, str]]:
        item = await service.create(session, caller, body)
        etag = service.action_etag(item["action_id"], item["version"])
        return 201, ActionRead.model_validate(item), {"ETag": etag}

    return await run_idempotent_post(
        session,
        idempotency,
        request,
        body,
        scope=caller_scope(caller),
        key=idempotency_key,
        produce=produce,
    )


@router.patch("/{action_id}", response_model=ActionRead, summary="Change an action")
async def patch_action(
    session: SessionDep,
    caller: CallerDep,
    action_id: ActionId,
    body: ActionUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ActionRead:
    item = await service.patch(session, caller, action_id, body, if_match)
    _with_etag(response, item)
    return ActionRead.model_validate(item)


@router.patch(
    "/{action_id}/steps/{number}",
    response_model=ActionDetail,
    summary="Set a step's owner, due date or status",
)
async def patch_step(
    session: SessionDep,
    caller: CallerDep,
    action_id: ActionId,
    number: Annotated[int, Path(ge=1, le=99)],
    body: StepUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ActionDetail:
    """Plan managers, with the action's ``If-Match``. The owner is an owner role linked to
    a person (``PUT /v1/owners/{owner_id}/person``) of an agency taking part in the action;
    the due date falls inside the plan. Reminders name the step's owner."""
    item = await service.patch_step(session, caller, action_id, number, body, if_match)
    _with_etag(response, item)
    return ActionDetail.model_validate(item)


@router.post("/{action_id}/status", response_model=ActionRead, summary="Move an action's status")
async def change_status(
    session: SessionDep,
    caller: CallerDep,
    action_id: ActionId,
    body: StatusChange,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ActionRead:
    item = await service.change_status(session, caller, action_id, body, if_match)
    _with_etag(response, item)
    return ActionRead.model_validate(item)


@router.get("/{action_id}/updates", response_model=Page[UpdateRead], summary="Progress updates")
async def list_updates(
    session: SessionDep, caller: CallerDep, action_id: ActionId, page: PageDep, sort: UpdateSort
) -> Page[UpdateRead]:
    return await service.updates(session, action_id, sort, page.limit, page.offset)


@router.post(
    "/{action_id}/updates",
    status_code=201,
    response_model=UpdateRead,
    summary="Report progress (append-only; needs If-Match of the action)",
)
async def add_update(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    action_id: ActionId,
    body: UpdateCreate,
    if_match: IfMatchHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Updates are append-only: a wrong one is corrected by a later one. Send the action's ETag as
    `If-Match` so progress is never reported against a stale view of the action.
    """

    async def produce() -> tuple[int, object, dict[str, str]]:
        item = await progress.add_update(session, caller, action_id, body, if_match)
        current = await service.read(session, action_id)
        etag = service.action_etag(action_id, current["version"])
        return 201, UpdateRead.model_validate(item), {"ETag": etag}

    return await run_idempotent_post(
        session,
        idempotency,
        request,
        body,
        scope=caller_scope(caller),
        key=idempotency_key,
        produce=produce,
    )
