"""SQL of programmes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.programmes.models import AuditProgramme


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


async def page(
    session: AsyncSession, *, agency: str | None, action: str | None, limit: int, offset: int
) -> tuple[list[AuditProgramme], int]:
    query = select(AuditProgramme)
    if agency:
        query = query.where(AuditProgramme.participating_agencies.contains([agency]))
    if action:
        query = query.where(AuditProgramme.linked_actions.contains([action]))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(AuditProgramme.programme_id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def save(session: AsyncSession) -> None:
    await session.flush()
