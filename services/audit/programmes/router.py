"""HTTP for audit programmes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.audit.events import TrailBound
from services.audit.params import IdPath, text_query
from services.audit.programmes import service
from services.audit.programmes.schemas import (
    CRITERION_CODE,
    ProgrammeCreate,
    ProgrammeCriterionRead,
    ProgrammeRead,
    ProgrammeUpdate,
)
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(
    prefix="/v1/audit-programmes", tags=["audit programmes"], dependencies=[TrailBound]
)
CriterionPath = Annotated[str, Path(min_length=2, max_length=2, pattern=CRITERION_CODE)]


@router.get("", summary="Audit programmes")
async def list_programmes(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.PROGRAMME_SORT, "programme_id")],
    agency: Annotated[str | None, text_query(40)] = None,
    action: Annotated[str | None, text_query(10)] = None,
    criterion: Annotated[str | None, text_query(2)] = None,
) -> Page[ProgrammeRead]:
    return await service.list_programmes(
        session, caller, page, agency=agency, action=action, criterion=criterion, sort=sort
    )


@router.post("", status_code=201, summary="Set up a programme")
async def create_programme(
    body: ProgrammeCreate, caller: CallerDep, session: SessionDep
) -> ProgrammeRead:
    return await service.create(session, caller, body)


@router.get("/{programme_id}", summary="One programme")
async def get_programme(
    programme_id: IdPath, caller: CallerDep, session: SessionDep, response: Response
) -> ProgrammeRead:
    programme = await service.get(session, caller, programme_id)
    response.headers["ETag"] = service.etag(programme)
    return service.to_read(programme)


@router.patch("/{programme_id}", summary="Change a programme (needs If-Match)")
async def update_programme(
    programme_id: IdPath,
    body: ProgrammeUpdate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ProgrammeRead:
    programme = await service.update(session, caller, programme_id, body, if_match)
    response.headers["ETag"] = service.etag(programme)
    return service.to_read(programme)


@router.get("/{programme_id}/criteria", summary="The success criteria a programme's grades show")
async def list_criteria(
    programme_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.CRITERION_SORT, "criterion_code")],
) -> Page[ProgrammeCriterionRead]:
    return await service.criteria_page(session, caller, programme_id, sort, page)


@router.put(
    "/{programme_id}/criteria/{criterion_code}",
    summary="Link a success criterion to the programme (idempotent)",
)
async def link_criterion(
    programme_id: IdPath,
    criterion_code: CriterionPath,
    caller: CallerDep,
    session: SessionDep,
) -> list[ProgrammeCriterionRead]:
    return await service.link_criterion(session, caller, programme_id, criterion_code)


@router.delete(
    "/{programme_id}/criteria/{criterion_code}",
    summary="Unlink a success criterion from the programme (idempotent)",
)
async def unlink_criterion(
    programme_id: IdPath,
    criterion_code: CriterionPath,
    caller: CallerDep,
    session: SessionDep,
) -> list[ProgrammeCriterionRead]:
    return await service.unlink_criterion(session, caller, programme_id, criterion_code)
