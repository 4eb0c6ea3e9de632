"""``/v1/org-units``: authority → service → locality → team (→ worker, managers only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.kpis.orgunits import service
from services.kpis.orgunits.schemas import OrgUnitCreate, OrgUnitRead
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/org-units", tags=["org-units"])


@router.get("", summary="Org units (workers only for council managers)")
async def list_units(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.UNIT_SORT, "")],
    parent: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[OrgUnitRead]:
    """Org units in creation order unless ``sort`` says otherwise."""
    return await service.page(session, caller, parent, sort, page.limit, page.offset)


@router.post("", status_code=201, summary="Add an org unit (council performance staff)")
async def create_unit(session: SessionDep, caller: CallerDep, body: OrgUnitCreate) -> OrgUnitRead:
    return await service.create(session, caller, body)
