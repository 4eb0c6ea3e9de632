"""The emergency deny list (council admins): a client, user or token refused at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status

from services.gateway.deps import AdminDep
from services.gateway.keys import service
from services.gateway.keys.schemas import DenyCreate, DenyKind, DenyRead
from shared.db import SessionDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/deny-list", tags=["deny list"])


@router.get("", summary="Entries in force")
async def list_entries(
    session: SessionDep,
    admin: AdminDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.DENY_SORT, "")],
) -> Page[DenyRead]:
    return await service.entries(session, sort, page)


@router.post("", status_code=status.HTTP_204_NO_CONTENT, summary="Refuse a client, user or token")
async def add_entry(
    data: DenyCreate, request: Request, session: SessionDep, admin: AdminDep
) -> Response:
    await service.add(session, admin.caller, request.app.state.denylist, data)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{kind}/{value}", status_code=status.HTTP_204_NO_CONTENT, summary="Lift an entry")
async def remove_entry(
    kind: DenyKind, value: str, request: Request, session: SessionDep, admin: AdminDep
) -> Response:
    await service.lift(session, admin.caller, request.app.state.denylist, kind, value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
