"""Rules of the agency list: codes are never reused; every addition is on the trail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import events
from services.gateway.agencies import repository as repo
from services.gateway.agencies.models import Agency
from services.gateway.agencies.schemas import AgencyCreate, AgencyRead
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import Conflict


def to_out(agency: Agency) -> AgencyRead:
    return AgencyRead(
        code=agency.code, display_name=agency.display_name, current_name=agency.current_name
    )


#: the fields ``?sort=`` allows
AGENCY_SORT = tuple(repo.AGENCY_SORT)


async def list_agencies(
    session: AsyncSession, sort: list[SortKey], page: PageParams
) -> Page[AgencyRead]:
    rows, total = await repo.page_agencies(session, sort, page)
    return page_of([to_out(a) for a in rows], total, page)


async def create(session: AsyncSession, admin: Caller, data: AgencyCreate) -> AgencyRead:
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
