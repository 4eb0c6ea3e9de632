"""The deny list's rules: list what is in force, add or lift an entry (recorded, cached)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import events
from services.gateway.keys import repository
from services.gateway.keys.denylist import DenyList
from services.gateway.keys.schemas import DenyCreate, DenyKind, DenyRead
from shared.clock import utc_now
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey
from shared.problems import NotFound

#: the fields ``?sort=`` allows
DENY_SORT = tuple(repository.DENY_SORT)


async def entries(session: AsyncSession, sort: list[SortKey], page: PageParams) -> Page[DenyRead]:
    """Entries in force (not expired), oldest first unless ``sort`` says otherwise, one page."""
    rows, total = await repository.list_deny_entries(
        session, utc_now(), sort, limit=page.limit, offset=page.offset
    )
    items = [
        DenyRead(
            kind=r.kind,
            value=r.value,
            reason=r.reason,
            created_at=r.created_at,
            expires_at=r.expires_at,
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


async def add(session: AsyncSession, caller: Caller, cache: DenyList, data: DenyCreate) -> None:
    """Refuse a client, user or token from now on (this process at once, others on refresh)."""
    await repository.upsert_deny(session, data.kind, data.value, data.reason, data.expires_at)
    await events.emit(
        session,
        caller,
        "deny_list.added",
        entity_type=data.kind,
        entity_id=data.value,
        payload={"reason": data.reason},
    )
    cache.note(data.kind, data.value)


async def lift(
    session: AsyncSession, caller: Caller, cache: DenyList, kind: DenyKind, value: str
) -> None:
    if not await repository.remove_deny(session, kind, value):
        raise NotFound("no such entry")
    await events.emit(
        session,
        caller,
        "deny_list.removed",
        entity_type=kind,
        entity_id=value,
    )
    cache.forget(kind, value)
