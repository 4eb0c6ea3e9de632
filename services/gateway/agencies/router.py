"""Agencies: any caller may list them; council admins add more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from services.gateway.agencies import service
from services.gateway.agencies.schemas import AgencyCreate, AgencyRead
from services.gateway.deps import AdminDep, PrincipalDep
from shared.db import SessionDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


@router.get("", summary="The partner agencies")
async def list_agencies(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.AGENCY_SORT, "code")],
) -> Page[AgencyRead]:
    """The agencies, by code unless ``sort`` says otherwise."""
    return await service.list_agencies(session, sort, page)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add an agency")
async def create_agency(data: AgencyCreate, session: SessionDep, admin: AdminDep) -> AgencyRead:
    return await service.create(session, admin.caller, data)
