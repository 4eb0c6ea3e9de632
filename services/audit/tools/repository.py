"""SQL of audit tools."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.tools.models import AuditTool


async def latest_version(session: AsyncSession, code: str) -> int:
    found = await session.scalar(select(func.max(AuditTool.version)).where(AuditTool.code == code))
    return int(found or 0)


async def add(
    session: AsyncSession,
    *,
    code: str,
    version: int,
    title: str,
    sections: list[dict[str, Any]],
    by: str,
) -> AuditTool:
    tool = AuditTool(code=code, version=version, title=title, sections=sections, created_by=by)
    session.add(tool)
    await session.flush()
    await session.refresh(tool)
    return tool


async def get(session: AsyncSession, tool_id: int) -> AuditTool | None:
    return await session.get(AuditTool, tool_id)


async def page(
    session: AsyncSession, *, code: str | None, latest_only: bool, limit: int, offset: int
) -> tuple[list[AuditTool], int]:
    query = select(AuditTool)
    if code:
        query = query.where(AuditTool.code == code)
    if latest_only:
        newest = (
            select(AuditTool.code, func.max(AuditTool.version).label("v"))
            .group_by(AuditTool.code)
            .subquery()
        )
        query = query.join(
            newest, (newest.c.code == AuditTool.code) & (newest.c.v == AuditTool.version)
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(AuditTool.code, AuditTool.version.desc()).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)
