"""Security events of the gateway, written to its outbox in the request's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db import outbox
from shared.outbox import OutboxEvent, add_event


async def record(
    session: AsyncSession,
    event_type: str,
    *,
    entity_type: str,
    entity_id: str,
    actor: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type=event_type,
            entity_type=entity_type,
            entity_id=entity_id[:120],
            actor=actor or {},
            payload=payload or {},
        ),
    )


async def record_alone(
    sessions: Any,
    event_type: str,
    *,
    entity_type: str,
    entity_id: str,
    actor: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Record an event in a transaction of its own (the request's is about to fail)."""
    async with sessions() as session, session.begin():
        await record(
            session,
            event_type,
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            payload=payload,
        )
