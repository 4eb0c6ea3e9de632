"""HTTP for success criterion → indicator links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.actions.criteria import service
from services.actions.criteria.schemas import (
    CriterionIndicatorCreate,
    CriterionIndicatorRead,
    IndicatorCode,
)
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/success-criteria", tags=["plan"])
CriterionId = Annotated[int, Path(ge=1, le=2_147_483_647)]
LinkSort = Annotated[list[SortKey], sort_query(service.LINK_SORT, "criterion_code,indicator_code")]
CodePath = Annotated[str, Path(min_length=2, max_length=40, pattern=r"^[A-Z0-9_]+$")]


@router.get(
    "/indicators",
    summary="Every criterion → indicator link (by plan or indicator)",
)
async def list_all_links(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: LinkSort,
    plan_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    indicator_code: Annotated[IndicatorCode | None, Query()] = None,
) -> Page[CriterionIndicatorRead]:
    return await service.list_all(session, caller, plan_id, indicator_code, sort, page)


@router.get(
    "/{criterion_id}/indicators",
    summary="The indicators that show a success criterion",
)
async def list_links(
    session: SessionDep,
    caller: CallerDep,
    criterion_id: CriterionId,
    page: PageDep,
    sort: LinkSort,
) -> Page[CriterionIndicatorRead]:
    return await service.list_links(session, caller, criterion_id, sort, page)


@router.post(
    "/{criterion_id}/indicators",
    status_code=201,
    response_model=CriterionIndicatorRead,
    summary="Link an indicator to a success criterion (plan managers)",
)
async def add_link(
    session: SessionDep,
    caller: CallerDep,
    criterion_id: CriterionId,
    body: CriterionIndicatorCreate,
) -> CriterionIndicatorRead:
    return await service.add_link(session, caller, criterion_id, body)


@router.delete(
    "/{criterion_id}/indicators/{indicator_code}",
    status_code=204,
    summary="Remove a criterion → indicator link (plan managers)",
)
async def remove_link(
    session: SessionDep, caller: CallerDep, criterion_id: CriterionId, indicator_code: CodePath
) -> Response:
    await service.remove_link(session, caller, criterion_id, indicator_code)
    return Response(status_code=204)
