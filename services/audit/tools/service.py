"""Rules of audit tools: a tool is never edited; a change is a new version."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import access, events
from services.audit.tools import repository as repo
from services.audit.tools.models import AuditTool
from services.audit.tools.schemas import ToolCreate, ToolRead
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey
from shared.problems import NotFound


def to_read(tool: AuditTool) -> ToolRead:
    return ToolRead.model_validate(
        {
            "tool_id": tool.tool_id,
            "code": tool.code,
            "version": tool.version,
            "title": tool.title,
            "sections": tool.sections,
            "created_at": tool.created_at,
        }
    )


#: the fields ``?sort=`` allows
TOOL_SORT = tuple(repo.TOOL_SORT)


async def list_tools(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    *,
    code: str | None,
    latest_only: bool,
    sort: list[SortKey],
) -> Page[ToolRead]:
    """Audit tools, one page (latest versions unless ``latest_only`` is false)."""
    access.require_read(caller)
    rows, total = await repo.page(
        session,
        code=code,
        latest_only=latest_only,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=[to_read(t) for t in rows], total=total, limit=page.limit, offset=page.offset)


async def create(session: AsyncSession, caller: Caller, body: ToolCreate) -> ToolRead:
    access.require_writer(caller)
    version = await repo.latest_version(session, body.code) + 1
    tool = await repo.add(
        session,
        code=body.code,
        version=version,
        title=body.title,
        sections=[s.model_dump() for s in body.sections],
        by=caller.subject,
    )
    await events.emit(
        session,
        caller,
        "audit_tool.created",
        "audit_tool",
        tool.tool_id,
        {"code": tool.code, "version": version},
    )
    return to_read(tool)


async def get(session: AsyncSession, caller: Caller, tool_id: int) -> AuditTool:
    access.require_read(caller)
    tool = await repo.get(session, tool_id)
    if tool is None:
        raise NotFound("no such audit tool")
    return tool
