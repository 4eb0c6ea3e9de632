"""SQL of the indicator catalogue (every version of every definition)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.indicators.models import Indicator
from shared.pagination import PageParams, SortKey, order_by, page_scalars

#: field → column for ``?sort=`` of the catalogue and of an indicator's versions (ties
#: broken by the row's id)
INDICATOR_SORT = {
    "code": Indicator.code,
    "version": Indicator.version,
    "name": Indicator.name,
    "source_agency": Indicator.source_agency,
    "frequency": Indicator.frequency,
    "unit": Indicator.unit,
    "created_at": Indicator.created_at,
}


async def page_current(
    session: AsyncSession,
    theme: int | None,
    source_agency: str | None,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> tuple[list[Indicator], int]:
    """Current versions by code, one page, and how many there are in all."""
    query = select(Indicator).where(Indicator.is_current)
    if theme is not None:
        query = query.where(Indicator.themes.any_() == theme)
    if source_agency:
        query = query.where(Indicator.source_agency == source_agency)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(*order_by(sort, INDICATOR_SORT, Indicator.indicator_id))
    rows = await session.scalars(ordered.limit(limit).offset(offset))
    return list(rows.all()), total or 0


async def current(session: AsyncSession, code: str, *, lock: bool = False) -> Indicator | None:
    query = select(Indicator).where(Indicator.code == code, Indicator.is_current)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def versions(
    session: AsyncSession, code: str, sort: list[SortKey], page: PageParams
) -> tuple[list[Indicator], int]:
    query = (
        select(Indicator)
        .where(Indicator.code == code)
        .order_by(*order_by(sort, INDICATOR_SORT, Indicator.indicator_id))
    )
    return await page_scalars(session, query, page)


async def code_taken(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(select(Indicator.indicator_id).where(Indicator.code == code))
    return found is not None


async def retire(session: AsyncSession, indicator_id: int) -> None:
    """The version is no longer the current one."""
    await session.execute(
        update(Indicator).where(Indicator.indicator_id == indicator_id).values(is_current=False)
    )


async def add(session: AsyncSession, row: Indicator) -> Indicator:
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row
