"""SQL of browser sign-in: authorization codes and the sign-ins waiting on a provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.signin.models import AuthorizationCode, FederatedRequest


async def add(session: AsyncSession, row: AuthorizationCode | FederatedRequest) -> None:
    session.add(row)
    await session.flush()


async def code_by_hash(session: AsyncSession, code_hash: str) -> AuthorizationCode | None:
    """The code, locked: two redemptions of one code are serialised (the second sees it used)."""
    result: AuthorizationCode | None = await session.scalar(
        select(AuthorizationCode).where(AuthorizationCode.code_hash == code_hash).with_for_update()
    )
    return result


async def request_by_hash(session: AsyncSession, state_hash: str) -> FederatedRequest | None:
    result: FederatedRequest | None = await session.scalar(
        select(FederatedRequest).where(FederatedRequest.state_hash == state_hash).with_for_update()
    )
    return result


async def forget_expired(session: AsyncSession, before: datetime) -> None:
    """Codes and waiting sign-ins expired before ``before`` (kept a while after expiry so a
    late reuse of a code is still recognised as one)."""
    await session.execute(delete(AuthorizationCode).where(AuthorizationCode.expires_at < before))
    await session.execute(delete(FederatedRequest).where(FederatedRequest.expires_at < before))
