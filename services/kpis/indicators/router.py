"""``/v1/indicators``: the catalogue; a changed definition makes a new version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy import func, select, update

from services.kpis import access
from services.kpis.db import outbox
from services.kpis.indicators.models import Indicator
from services.kpis.indicators.schemas import IndicatorCreate, IndicatorRead, IndicatorVersionCreate
from shared.db import SessionDep
from shared.etag import IfMatchHeader, check_if_match, etag_for
from shared.identity import Caller, CallerDep
from shared.outbox import OutboxEvent, add_event
from shared.pagination import Page, PageDep
from shared.problems import Conflict, Forbidden, NotFound

router = APIRouter(prefix="/v1/indicators", tags=["indicators"])


def _may_define(caller: Caller, agency: str) -> bool:
    return access.may_define(caller, agency)


def _etag(row: Indicator) -> str:
    return etag_for("indicator", row.code, row.version)


@router.get("", summary="The indicator catalogue (current versions)")
async def list_indicators(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    theme: Annotated[int | None, Query(ge=1, le=20)] = None,
    source_agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[IndicatorRead]:
    query = select(Indicator).where(Indicator.is_current)
    if theme is not None:
        query = query.where(Indicator.themes.any_() == theme)
    if source_agency:
        query = query.where(Indicator.source_agency == source_agency)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Indicator.code).limit(page.limit).offset(page.offset)
    rows = await session.scalars(query)
    return Page(
        items=[IndicatorRead.model_validate(r, from_attributes=True) for r in rows.all()],
        total=total or 0,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{code}", summary="An indicator's current definition (ETag for new versions)")
async def get_indicator(
    session: SessionDep, caller: CallerDep, response: Response, code: str
) -> IndicatorRead:
    query = select(Indicator).where(Indicator.code == code, Indicator.is_current)
    row = await session.scalar(query)
    if row is None:
        raise NotFound("no such indicator")
    response.headers["ETag"] = _etag(row)
    return IndicatorRead.model_validate(row, from_attributes=True)


@router.get("/{code}/versions", summary="Every definition version of an indicator")
async def list_versions(session: SessionDep, caller: CallerDep, code: str) -> list[IndicatorRead]:
    rows = await session.scalars(
        select(Indicator).where(Indicator.code == code).order_by(Indicator.version)
    )
    found = [IndicatorRead.model_validate(r, from_attributes=True) for r in rows.all()]
    if not found:
        raise NotFound("no such indicator")
    return found


@router.post("", status_code=201, summary="Define a new indicator (version 1)")
async def create_indicator(
    session: SessionDep, caller: CallerDep, response: Response, body: IndicatorCreate
) -> IndicatorRead:
    if not _may_define(caller, body.source_agency):
        raise Forbidden("only the source agency's approvers or council performance staff")
    exists = await session.scalar(select(Indicator.indicator_id).where(Indicator.code == body.code))
    if exists is not None:
        raise Conflict("an indicator with this code exists; post a new version instead")
    row = Indicator(**body.model_dump(), version=1, is_current=True)
    session.add(row)
    await session.flush()
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type="indicator.created",
            entity_type="indicator",
            entity_id=row.code,
            actor=caller.as_actor(),
            payload={"code": row.code, "version": 1},
        ),
    )
    await session.refresh(row)
    response.headers["ETag"] = _etag(row)
    return IndicatorRead.model_validate(row, from_attributes=True)


@router.post("/{code}/versions", status_code=201, summary="A changed definition: a new version")
async def create_version(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    code: str,
    body: IndicatorVersionCreate,
    if_match: IfMatchHeader = None,
) -> IndicatorRead:
    current = await session.scalar(
        select(Indicator).where(Indicator.code == code, Indicator.is_current).with_for_update()
    )
    if current is None:
        raise NotFound("no such indicator")
    if not _may_define(caller, current.source_agency):
        raise Forbidden("only the source agency's approvers or council performance staff")
    check_if_match(if_match, _etag(current))
    await session.execute(
        update(Indicator)
        .where(Indicator.indicator_id == current.indicator_id)
        .values(is_current=False)
    )
    row = Indicator(
        **body.model_dump(),
        code=code,
        source_agency=current.source_agency,
        version=current.version + 1,
        is_current=True,
    )
    session.add(row)
    await session.flush()
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type="indicator.versioned",
            entity_type="indicator",
            entity_id=code,
            actor=caller.as_actor(),
            payload={"code": code, "version": row.version},
        ),
    )
    await session.refresh(row)
    response.headers["ETag"] = _etag(row)
    return IndicatorRead.model_validate(row, from_attributes=True)
