"""SQL of board packs."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.board.packs.models import Pack


async def add(session: AsyncSession, pack: Pack) -> Pack:
    session.add(pack)
    await session.flush()
    await session.refresh(pack)
    return pack


async def for_meeting(session: AsyncSession, meeting_id: int) -> list[Pack]:
    rows = await session.scalars(
        select(Pack).where(Pack.meeting_id == meeting_id).order_by(Pack.created_at, Pack.pack_id)
    )
    return list(rows)


async def get(session: AsyncSession, meeting_id: int, pack_id: uuid.UUID) -> Pack | None:
    found: Pack | None = await session.scalar(
        select(Pack).where(Pack.pack_id == pack_id, Pack.meeting_id == meeting_id)
    )
    return found
