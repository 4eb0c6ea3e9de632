"""SQL of the org-unit tree."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.orgunits.models import OrgUnit
from shared.pagination import SortColumn, SortKey, order_by

#: (code, level, parent code, name)
UnitRow = tuple[str, str, str | None, str | None]


PARENT = OrgUnit.__table__.alias("p")
#: field → column for ``?sort=`` (ties broken by the unit's id: creation order)
UNIT_SORT: dict[str, SortColumn] = {
    "code": OrgUnit.code,
    "level": OrgUnit.level,
    "parent": PARENT.c.code,
    "name": OrgUnit.name,
}


async def page(
    session: AsyncSession,
    *,
    workers: bool,
    parent: str | None,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> tuple[list[UnitRow], int]:
    """Units in creation order unless ``sort`` says otherwise (workers only when
    ``workers``), one page, and the total."""
    parent_unit = PARENT
    query = select(
        OrgUnit.code, OrgUnit.level, parent_unit.c.code.label("parent"), OrgUnit.name
    ).outerjoin(parent_unit, parent_unit.c.org_unit_id == OrgUnit.parent_id)
    if not workers:
        query = query.where(OrgUnit.level != "worker")
    if parent:
        query = query.where(parent_unit.c.code == parent)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(*order_by(sort, UNIT_SORT, OrgUnit.org_unit_id))
    query = query.limit(limit).offset(offset)
    rows = await session.execute(query)
    return [(r[0], r[1], r[2], r[3]) for r in rows.all()], total or 0


async def by_code(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.scalar(select(OrgUnit).where(OrgUnit.code == code))


async def code_taken(session: AsyncSession, code: str) -> bool:
    return bool(await session.scalar(select(OrgUnit.org_unit_id).where(OrgUnit.code == code)))


async def add(session: AsyncSession, unit: OrgUnit) -> None:
    session.add(unit)
    await session.flush()
