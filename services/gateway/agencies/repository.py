"""SQL of the partner agencies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.agencies.models import Agency
from shared.pagination import PageParams, page_scalars


async def page_agencies(session: AsyncSession, page: PageParams) -> tuple[list[Agency], int]:
    return await page_scalars(session, select(Agency).order_by(Agency.code), page)


async def exists(session: AsyncSession, code: str) -> bool:
    return await session.get(Agency, code) is not None


async def add(session: AsyncSession, agency: Agency) -> None:
    session.add(agency)
    await session.flush()
