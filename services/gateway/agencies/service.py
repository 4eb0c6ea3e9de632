"""Rules of the agency list: codes are never reused; every addition is on the trail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import events
from services.gateway.agencies import repository as repo
from services.gateway.agencies.models import Agency
from services.gateway.agencies.schemas import AgencyCreate, AgencyOut
from shared.identity import Caller
from shared.problems import Conflict


def to_out(agency: Agency) -> AgencyOut:
    return AgencyOut(
        code=agency.code, display_name=agency.display_name, current_name=agency.current_name
    )


async def list_agencies(session: AsyncSession) -> list[AgencyOut]:
    return [to_out(a) for a in await repo.all_agencies(session)]


async def create(session: AsyncSession, admin: Caller, data: AgencyCreate) -> AgencyOut:
    """Add an agency (the caller has already been checked to be an admin)."""
    if await repo.exists(session, data.code):
        raise Conflict("an agency with this code exists")
    agency = Agency(**data.model_dump())
    await repo.add(session, agency)
    await events.emit(
        session,
        admin,
        "agency.created",
        entity_type="agency",
        entity_id=agency.code,
    )
    return to_out(agency)
