"""SQL of programmes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.programmes.models import AuditProgramme, ProgrammeCriterion
from shared.pagination import PageParams, SortKey, order_by, page_scalars


async def add(session: AsyncSession, values: dict[str, Any]) -> AuditProgramme:
    programme = AuditProgramme(**values)
    session.add(programme)
    await session.flush()
    await session.refresh(programme)
    return programme


async def get(
    session: AsyncSession, programme_id: int, *, lock: bool = False
) -> AuditProgramme | None:
    return await session.get(AuditProgramme, programme_id, with_for_update=lock)


async def by_title(session: AsyncSession, title: str) -> AuditProgramme | None:
    found = await session.scalars(select(AuditProgramme).where(AuditProgramme.title == title))
    return found.first()


#: field → column for ``?sort=`` of the programmes and of a programme's criteria (ties
#: broken by the id; a programme's criteria by their code, unique in it)
PROGRAMME_SORT = {
    "programme_id": AuditProgramme.programme_id,
    "title": AuditProgramme.title,
    "tool_id": AuditProgramme.tool_id,
    "lead_agency": AuditProgramme.lead_agency,
    "created_at": AuditProgramme.created_at,
}
CRITERION_SORT = {
    "criterion_code": ProgrammeCriterion.criterion_code,
    "created_at": ProgrammeCriterion.created_at,
}


async def page(
    session: AsyncSession,
    *,
    agency: str | None,
    action: str | None,
    limit: int,
    offset: int,
    criterion: str | None = None,
    sort: list[SortKey],
) -> tuple[list[AuditProgramme], int]:
    query = select(AuditProgramme)
    if agency:
        query = query.where(AuditProgramme.participating_agencies.contains([agency]))
    if action:
        query = query.where(AuditProgramme.linked_actions.contains([action]))
    if criterion:
        query = query.where(
            AuditProgramme.programme_id.in_(
                select(ProgrammeCriterion.programme_id).where(
                    ProgrammeCriterion.criterion_code == criterion
                )
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(*order_by(sort, PROGRAMME_SORT, AuditProgramme.programme_id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def save(session: AsyncSession) -> None:
    await session.flush()


def _criteria(programme_id: int) -> Select[Any]:
    return (
        select(ProgrammeCriterion)
        .where(ProgrammeCriterion.programme_id == programme_id)
        .order_by(ProgrammeCriterion.criterion_code)
    )


async def criteria(session: AsyncSession, programme_id: int) -> list[ProgrammeCriterion]:
    return list(await session.scalars(_criteria(programme_id)))


async def criteria_page(
    session: AsyncSession, programme_id: int, sort: list[SortKey], page: PageParams
) -> tuple[list[ProgrammeCriterion], int]:
    stmt = _criteria(programme_id).order_by(None)
    ordered = stmt.order_by(*order_by(sort, CRITERION_SORT, ProgrammeCriterion.criterion_code))
    return await page_scalars(session, ordered, page)


async def add_criterion(
    session: AsyncSession, programme_id: int, code: str, created_by: str
) -> bool:
    """Whether a link was made (``False``: it was there already, left as it is)."""
    made = await session.scalar(
        insert(ProgrammeCriterion)
        .values(programme_id=programme_id, criterion_code=code, created_by=created_by)
        .on_conflict_do_nothing()
        .returning(ProgrammeCriterion.criterion_code)
    )
    return made is not None


async def remove_criterion(session: AsyncSession, programme_id: int, code: str) -> bool:
    """Whether a link was removed (``False``: there was none)."""
    gone = await session.scalar(
        delete(ProgrammeCriterion)
        .where(
            ProgrammeCriterion.programme_id == programme_id,
            ProgrammeCriterion.criterion_code == code,
        )
        .returning(ProgrammeCriterion.criterion_code)
    )
    return gone is not None
