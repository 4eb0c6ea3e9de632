"""SQL for machine clients and used client assertions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.agencies.models import Agency
from services.gateway.clients.models import Client, UsedAssertion
from shared.pagination import PageParams, SortKey, order_by, page_scalars


async def by_client_id(session: AsyncSession, client_id: str) -> Client | None:
    result: Client | None = await session.scalar(
        select(Client).where(Client.client_id == client_id)
    )
    return result


#: field → column for ``?sort=`` (ties broken by the client id)
CLIENT_SORT = {
    "client_id": Client.client_id,
    "name": Client.name,
    "agency": Client.agency,
    "created_at": Client.created_at,
    "rotated_at": Client.rotated_at,
    "disabled_at": Client.disabled_at,
}


async def page_clients(
    session: AsyncSession, sort: list[SortKey], page: PageParams
) -> tuple[list[Client], int]:
    stmt = select(Client).order_by(*order_by(sort, CLIENT_SORT, Client.client_id))
    return await page_scalars(session, stmt, page)


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
