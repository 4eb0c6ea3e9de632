"""``/v1/indicators``: the catalogue; a changed definition makes a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.kpis.indicators import service
from services.kpis.indicators.schemas import IndicatorCreate, IndicatorRead, IndicatorVersionCreate
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/indicators", tags=["indicators"])


@router.get("", summary="The indicator catalogue (current versions)")
async def list_indicators(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.INDICATOR_SORT, "code")],
    theme: Annotated[int | None, Query(ge=1, le=20)] = None,
    source_agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[IndicatorRead]:
    return await service.page(session, theme, source_agency, sort, page.limit, page.offset)


@router.get("/{code}", summary="An indicator's current definition (ETag for new versions)")
async def get_indicator(
    session: SessionDep, caller: CallerDep, response: Response, code: str
) -> IndicatorRead:
    indicator, response.headers["ETag"] = await service.get(session, code)
    return indicator


@router.get("/{code}/versions", summary="Every definition version of an indicator")
async def list_versions(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    code: str,
    sort: Annotated[list[SortKey], sort_query(service.INDICATOR_SORT, "version")],
) -> Page[IndicatorRead]:
    return await service.versions(session, code, sort, page)


@router.post("", status_code=201, summary="Define a new indicator (version 1)")
async def create_indicator(
    session: SessionDep, caller: CallerDep, response: Response, body: IndicatorCreate
) -> IndicatorRead:
    indicator, response.headers["ETag"] = await service.create(session, caller, body)
    return indicator


@router.post("/{code}/versions", status_code=201, summary="A changed definition: a new version")
async def create_version(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    code: str,
    body: IndicatorVersionCreate,
    if_match: IfMatchHeader = None,
) -> IndicatorRead:
    indicator, response.headers["ETag"] = await service.create_version(
        session, caller, code, body, if_match
    )
    return indicator
