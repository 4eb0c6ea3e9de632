"""HTTP for audit programmes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from services.audit import access
from services.audit.events import RecorderDep
from services.audit.params import IdPath, text_query
from services.audit.programmes import repository as repo
from services.audit.programmes import service
from services.audit.programmes.schemas import ProgrammeCreate, ProgrammeRead, ProgrammeUpdate
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep

router = APIRouter(prefix="/v1/audit-programmes", tags=["audit programmes"])


@router.get("", summary="Audit programmes")
async def list_programmes(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    agency: Annotated[str | None, text_query(40)] = None,
    action: Annotated[str | None, text_query(10)] = None,
) -> Page[ProgrammeRead]:
    access.require_read(caller)
    rows, total = await repo.page(
        session, agency=agency, action=action, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[service.to_read(p) for p in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("", status_code=201, summary="Set up a programme")
async def create_programme(
    body: ProgrammeCreate, caller: CallerDep, session: SessionDep, record: RecorderDep
) -> ProgrammeRead:
    return await service.create(session, caller, body, record)


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
    record: RecorderDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> ProgrammeRead:
    programme = await service.update(session, caller, programme_id, body, if_match, record)
    response.headers["ETag"] = service.etag(programme)
    return service.to_read(programme)
