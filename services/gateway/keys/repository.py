"""SQL for signing keys and the deny list."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.keys.models import DenyEntry, SigningKey
from shared.pagination import PageParams, SortKey, order_by, page_scalars


async def live_keys(session: AsyncSession, now: datetime) -> list[SigningKey]:
    rows = await session.scalars(
        select(SigningKey)
        .where(or_(SigningKey.expire_at.is_(None), SigningKey.expire_at > now))
        .order_by(SigningKey.activate_at)
    )
    return list(rows)


async def all_keys(session: AsyncSession) -> list[SigningKey]:
    return list(await session.scalars(select(SigningKey).order_by(SigningKey.created_at)))


async def retire_signing_keys(
    session: AsyncSession, retire_at: datetime, expire_at: datetime
) -> None:
    await session.execute(
        update(SigningKey)
        .where(SigningKey.retire_at.is_(None))
        .values(retire_at=retire_at, expire_at=expire_at)
    )


async def drop_expired_keys(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(SigningKey).where(SigningKey.expire_at < before))


async def add_key(session: AsyncSession, key: SigningKey) -> None:
    session.add(key)
    await session.flush()


async def deny_entries(session: AsyncSession, now: datetime) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(DenyEntry.kind, DenyEntry.value).where(
            or_(DenyEntry.expires_at.is_(None), DenyEntry.expires_at > now)
        )
    )
    return [(r.kind, r.value) for r in rows]


#: field → column for ``?sort=`` of the deny list (ties broken by the entry's id)
DENY_SORT = {
    "created_at": DenyEntry.created_at,
    "expires_at": DenyEntry.expires_at,
    "kind": DenyEntry.kind,
    "value": DenyEntry.value,
}


async def list_deny_entries(
    session: AsyncSession, now: datetime, sort: list[SortKey], *, limit: int, offset: int
) -> tuple[list[DenyEntry], int]:
    in_force = or_(DenyEntry.expires_at.is_(None), DenyEntry.expires_at > now)
    stmt = select(DenyEntry).where(in_force).order_by(*order_by(sort, DENY_SORT, DenyEntry.id))
    return await page_scalars(session, stmt, PageParams(limit, offset))


async def upsert_deny(
    session: AsyncSession, kind: str, value: str, reason: str, expires_at: datetime | None
) -> None:
    stmt = insert(DenyEntry).values(kind=kind, value=value, reason=reason, expires_at=expires_at)
    await session.execute(
        stmt.on_conflict_do_update(
            constraint="uq_deny_entry_kind_value",
            set_={"reason": reason, "expires_at": expires_at},
        )
    )


async def remove_deny(session: AsyncSession, kind: str, value: str) -> bool:
    result = await session.execute(
        delete(DenyEntry).where(DenyEntry.kind == kind, DenyEntry.value == value)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
