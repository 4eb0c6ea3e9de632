"""SQL of board packs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.board.packs.models import Pack
from shared.pagination import SortKey, order_by

#: field → column for ``?sort=`` of a meeting's packs (ties broken by the pack's id)
PACK_SORT = {
    "created_at": Pack.created_at,
    "created_by": Pack.created_by,
}
OLDEST_FIRST = (SortKey("created_at"),)


async def add(session: AsyncSession, pack: Pack) -> Pack:
    session.add(pack)
    await session.flush()
    await session.refresh(pack)
    return pack


async def for_meeting(
    session: AsyncSession, meeting_id: int, sort: Sequence[SortKey] = OLDEST_FIRST
) -> list[Pack]:
    rows = await session.scalars(
        select(Pack)
        .where(Pack.meeting_id == meeting_id)
        .order_by(*order_by(sort, PACK_SORT, Pack.pack_id))
    )
    return list(rows)


async def get(session: AsyncSession, meeting_id: int, pack_id: uuid.UUID) -> Pack | None:
    found: Pack | None = await session.scalar(
        select(Pack).where(Pack.pack_id == pack_id, Pack.meeting_id == meeting_id)
    )
    return found
