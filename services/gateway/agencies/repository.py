"""SQL of the partner agencies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.agencies.models import Agency


async def all_agencies(session: AsyncSession) -> list[Agency]:
    return list(await session.scalars(select(Agency).order_by(Agency.code)))


async def exists(session: AsyncSession, code: str) -> bool:
    return await session.get(Agency, code) is not None


async def add(session: AsyncSession, agency: Agency) -> None:
    session.add(agency)
    await session.flush()
