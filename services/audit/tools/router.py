"""HTTP for audit tools."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from services.audit.events import TrailBound
from services.audit.params import IdPath, text_query
from services.audit.tools import service
from services.audit.tools.schemas import ToolCreate, ToolRead
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/audit-tools", tags=["audit tools"], dependencies=[TrailBound])


@router.get("", summary="Audit tools (latest versions unless all_versions)")
async def list_tools(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.TOOL_SORT, "code,-version")],
    code: Annotated[str | None, text_query(40)] = None,
    all_versions: bool = False,
) -> Page[ToolRead]:
    return await service.list_tools(
        session, caller, page, code=code, latest_only=not all_versions, sort=sort
    )


@router.post("", status_code=201, summary="A new tool, or the next version of its code")
async def create_tool(body: ToolCreate, caller: CallerDep, session: SessionDep) -> ToolRead:
    return await service.create(session, caller, body)


@router.get("/{tool_id}", summary="One version of a tool")
async def get_tool(tool_id: IdPath, caller: CallerDep, session: SessionDep) -> ToolRead:
    return service.to_read(await service.get(session, caller, tool_id))
