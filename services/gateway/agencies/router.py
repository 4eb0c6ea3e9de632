"""Agencies: any caller may list them; council admins add more."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from services.gateway import trail
from services.gateway.agencies.models import Agency
from services.gateway.agencies.schemas import AgencyCreate, AgencyOut
from services.gateway.deps import AdminDep, PrincipalDep
from shared.db import SessionDep
from shared.problems import Conflict

router = APIRouter(prefix="/v1/agencies", tags=["agencies"])


def _out(agency: Agency) -> AgencyOut:
    return AgencyOut(
        code=agency.code, display_name=agency.display_name, current_name=agency.current_name
    )


@router.get("", summary="The partner agencies")
async def list_agencies(session: SessionDep, principal: PrincipalDep) -> list[AgencyOut]:
    rows = await session.scalars(select(Agency).order_by(Agency.code))
    return [_out(a) for a in rows]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add an agency")
async def create_agency(data: AgencyCreate, session: SessionDep, admin: AdminDep) -> AgencyOut:
    if await session.get(Agency, data.code) is not None:
        raise Conflict("an agency with this code exists")
    agency = Agency(**data.model_dump())
    session.add(agency)
    await session.flush()
    await trail.record(
        session,
        "agency.created",
        entity_type="agency",
        entity_id=agency.code,
        actor=admin.caller.as_actor(),
    )
    return _out(agency)
