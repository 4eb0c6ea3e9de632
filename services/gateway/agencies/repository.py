"""SQL of the partner agencies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.agencies.models import Agency
from shared.pagination import PageParams, SortKey, order_by, page_scalars

#: field → column for ``?sort=`` (ties broken by the code, the agency's id)
AGENCY_SORT = {
    "code": Agency.code,
    "display_name": Agency.display_name,
    "current_name": Agency.current_name,
}


async def page_agencies(
    session: AsyncSession, sort: list[SortKey], page: PageParams
) -> tuple[list[Agency], int]:
    stmt = select(Agency).order_by(*order_by(sort, AGENCY_SORT, Agency.code))
    return await page_scalars(session, stmt, page)


async def exists(session: AsyncSession, code: str) -> bool:
    return await session.get(Agency, code) is not None


async def add(session: AsyncSession, agency: Agency) -> None:
    session.add(agency)
    await session.flush()
