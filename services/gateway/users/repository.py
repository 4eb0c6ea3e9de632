"""SQL for people and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.users.models import LoginThrottle, RefreshToken, User
from shared.pagination import PageParams, SortKey, order_by, page_scalars


async def by_username(session: AsyncSession, username: str, *, lock: bool = False) -> User | None:
    stmt = select(User).where(User.username == username)
    if lock:
        stmt = stmt.with_for_update()
    result: User | None = await session.scalar(stmt)
    return result


async def all_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.username)))


#: field → column for ``?sort=`` (ties broken by the username, unique like an id)
USER_SORT = {
    "username": User.username,
    "agency": User.agency,
    "created_at": User.created_at,
    "disabled_at": User.disabled_at,
}


async def page_users(
    session: AsyncSession, sort: list[SortKey], page: PageParams
) -> tuple[list[User], int]:
    stmt = select(User).order_by(*order_by(sort, USER_SORT, User.username))
    return await page_scalars(session, stmt, page)


async def add(session: AsyncSession, row: User | RefreshToken) -> None:
    session.add(row)
    await session.flush()


async def refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    result: RefreshToken | None = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )
    return result


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def live_access_tokens(
    session: AsyncSession,
    now: datetime,
    *,
    family_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> list[tuple[str, datetime]]:
    """``(jti, expires_at)`` of the unexpired access tokens minted with a family's (or a
    person's) refresh tokens."""
    stmt = select(RefreshToken.access_jti, RefreshToken.access_expires_at).where(
        RefreshToken.access_jti.is_not(None), RefreshToken.access_expires_at > now
    )
    if family_id is not None:
        stmt = stmt.where(RefreshToken.family_id == family_id)
    if user_id is not None:
        stmt = stmt.where(RefreshToken.user_id == user_id)
    rows = await session.execute(stmt)
    return [(str(r.access_jti), r.access_expires_at) for r in rows]


async def throttle_for_update(
    session: AsyncSession, name_key: str, now: datetime, forget_before: datetime
) -> LoginThrottle:
    """The failed-login counter of a typed name, locked for this transaction (made if missing;
    one gone quiet since ``forget_before`` and not locked starts again from zero)."""
    await session.execute(
        insert(LoginThrottle)
        .values(name_key=name_key, failed_logins=0, lockouts=0, last_failed_at=now)
        .on_conflict_do_nothing()
    )
    row = await session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.name_key == name_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if row.last_failed_at < forget_before and (row.locked_until is None or row.locked_until <= now):
        row.failed_logins, row.lockouts, row.locked_until = 0, 0, None
    return row


async def throttles(session: AsyncSession, name_keys: list[str]) -> dict[str, LoginThrottle]:
    rows = await session.scalars(select(LoginThrottle).where(LoginThrottle.name_key.in_(name_keys)))
    return {r.name_key: r for r in rows}


async def clear_throttle(session: AsyncSession, name_key: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.name_key == name_key))


async def forget_quiet_throttles(session: AsyncSession, before: datetime, now: datetime) -> None:
    """Counters quiet since ``before`` and not locked: the same rule for every name (rows
    another login holds are left for later, so two purges never wait on each other)."""
    quiet = (
        select(LoginThrottle.name_key)
        .where(
            LoginThrottle.last_failed_at < before,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now),
        )
        .limit(1000)
        .with_for_update(skip_locked=True)
    )
    await session.execute(delete(LoginThrottle).where(LoginThrottle.name_key.in_(quiet)))
