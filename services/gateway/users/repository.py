"""SQL for people and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.users.models import RefreshToken, User


async def by_username(session: AsyncSession, username: str, *, lock: bool = False) -> User | None:
    stmt = select(User).where(User.username == username)
    if lock:
        stmt = stmt.with_for_update()
    result: User | None = await session.scalar(stmt)
    return result


async def all_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.username)))


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
