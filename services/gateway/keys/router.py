"""The emergency deny list (council admins): a client, user or token refused at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.gateway import trail
from services.gateway.deps import AdminDep
from services.gateway.keys import repository
from shared.db import SessionDep
from shared.problems import NotFound

router = APIRouter(prefix="/v1/deny-list", tags=["deny list"])
Kind = Literal["client", "user", "jti"]


class DenyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    value: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=500)
    expires_at: datetime | None = None


class DenyOut(BaseModel):
    kind: str
    value: str
    reason: str
    created_at: datetime
    expires_at: datetime | None


@router.get("", summary="Entries in force")
async def list_entries(session: SessionDep, admin: AdminDep) -> list[DenyOut]:
    rows = await repository.list_deny_entries(session, datetime.now(UTC))
    return [
        DenyOut(
            kind=r.kind,
            value=r.value,
            reason=r.reason,
            created_at=r.created_at,
            expires_at=r.expires_at,
        )
        for r in rows
    ]


@router.post("", status_code=status.HTTP_204_NO_CONTENT, summary="Refuse a client, user or token")
async def add_entry(
    data: DenyIn, request: Request, session: SessionDep, admin: AdminDep
) -> Response:
    await repository.upsert_deny(session, data.kind, data.value, data.reason, data.expires_at)
    await trail.record(
        session,
        "deny_list.added",
        entity_type=data.kind,
        entity_id=data.value,
        actor=admin.caller.as_actor(),
        payload={"reason": data.reason},
    )
    request.app.state.denylist.note(data.kind, data.value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{kind}/{value}", status_code=status.HTTP_204_NO_CONTENT, summary="Lift an entry")
async def remove_entry(
    kind: Kind, value: str, request: Request, session: SessionDep, admin: AdminDep
) -> Response:
    if not await repository.remove_deny(session, kind, value):
        raise NotFound("no such entry")
    await trail.record(
        session,
        "deny_list.removed",
        entity_type=kind,
        entity_id=value,
        actor=admin.caller.as_actor(),
    )
    request.app.state.denylist.forget(kind, value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
