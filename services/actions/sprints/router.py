"""HTTP for sprints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.actions.sprints import service
from services.actions.sprints.schemas import SprintRead
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/sprints", tags=["sprints"])
SprintId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("", summary="Sprints (12-week blocks)")
async def list_sprints(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.SPRINT_SORT, "plan_id,number")],
    plan_id: Annotated[int | None, Query(ge=1)] = None,
) -> Page[SprintRead]:
    return await service.list_sprints(session, plan_id, sort, page)


@router.get("/{sprint_id}", response_model=SprintRead, summary="One sprint")
async def get_sprint(
    session: SessionDep, caller: CallerDep, sprint_id: SprintId, response: Response
) -> SprintRead:
    sprint, response.headers["ETag"] = await service.get(session, sprint_id)
    return sprint


@router.post(
    "/{sprint_id}/close",
    response_model=SprintRead,
    summary="Close a sprint: snapshot due/done/carried over, carry outstanding actions on",
)
async def close_sprint(
    session: SessionDep,
    caller: CallerDep,
    sprint_id: SprintId,
    response: Response,
    if_match: IfMatchHeader = None,
) -> SprintRead:
    sprint = await service.close_sprint(session, caller, sprint_id, if_match)
    response.headers["ETag"] = service.sprint_etag(sprint)
    return SprintRead.model_validate(sprint, from_attributes=True)
