"""SQL for machine clients and used client assertions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.agencies.models import Agency
from services.gateway.clients.models import Client, UsedAssertion
from shared.pagination import PageParams, page_scalars


async def by_client_id(session: AsyncSession, client_id: str) -> Client | None:
    result: Client | None = await session.scalar(
        select(Client).where(Client.client_id == client_id)
    )
    return result


async def page_clients(session: AsyncSession, page: PageParams) -> tuple[list[Client], int]:
    return await page_scalars(session, select(Client).order_by(Client.client_id), page)


async def agency_exists(session: AsyncSession, code: str) -> bool:
    return await session.get(Agency, code) is not None


async def add(session: AsyncSession, client: Client) -> None:
    session.add(client)
    await session.flush()


async def use_assertion(
    session: AsyncSession, jti: str, client_id: str, expires_at: datetime, now: datetime
) -> bool:
    """Record an assertion's ``jti``; False when it was already used."""
    await session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
    result = await session.execute(
        insert(UsedAssertion)
        .values(jti=f"{client_id}:{jti}"[:200], client_id=client_id, expires_at=expires_at)
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
