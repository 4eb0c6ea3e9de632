"""SQL of audit tools."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.tools.models import AuditTool
from shared.pagination import SortKey, order_by


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


#: field → column for ``?sort=`` (ties broken by the tool's id)
TOOL_SORT = {
    "tool_id": AuditTool.tool_id,
    "code": AuditTool.code,
    "version": AuditTool.version,
    "title": AuditTool.title,
    "created_at": AuditTool.created_at,
}
BY_CODE_NEWEST_FIRST = (SortKey("code"), SortKey("version", descending=True))


async def page(
    session: AsyncSession,
    *,
    code: str | None,
    latest_only: bool,
    limit: int,
    offset: int,
    sort: Sequence[SortKey] = BY_CODE_NEWEST_FIRST,
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
        query.order_by(*order_by(sort, TOOL_SORT, AuditTool.tool_id)).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)
