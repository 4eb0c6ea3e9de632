"""Machine-client administration: create, list, rotate, disable (council admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from services.gateway.clients import service
from services.gateway.clients.schemas import ClientCreate, ClientRead, ClientWithSecret
from services.gateway.deps import AdminDep, HasherDep
from shared.db import SessionDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/clients", tags=["clients"])
CLIENT_ID = r"^[A-Za-z0-9._-]{1,64}$"


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register a partner system")
async def create_client(
    data: ClientCreate, session: SessionDep, admin: AdminDep, hasher: HasherDep
) -> ClientWithSecret:
    return await service.create(session, data, admin.caller, hasher)


@router.get("", summary="List partner systems")
async def list_clients(
    session: SessionDep,
    admin: AdminDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.CLIENT_SORT, "client_id")],
) -> Page[ClientRead]:
    return await service.list_all(session, sort, page)


@router.get("/{client_id}", summary="One partner system")
async def get_client(client_id: str, session: SessionDep, admin: AdminDep) -> ClientRead:
    return await service.get(session, client_id)


@router.post("/{client_id}/rotate-secret", summary="Issue a new secret (shown once)")
async def rotate_secret(
    client_id: str, session: SessionDep, admin: AdminDep, hasher: HasherDep
) -> ClientWithSecret:
    return await service.rotate_secret(session, client_id, admin.caller, hasher)


@router.post("/{client_id}/disable", summary="Disable a client and revoke its tokens")
async def disable_client(
    client_id: str, request: Request, session: SessionDep, admin: AdminDep
) -> ClientRead:
    result = await service.disable(
        session, client_id, admin.caller, request.app.state.settings.access_token_ttl_s
    )
    request.app.state.denylist.note("client", client_id)
    return result
