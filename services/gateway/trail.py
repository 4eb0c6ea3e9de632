"""Security events of the gateway by actor (kept for the sign-in and token code): each goes
through ``services.gateway.events``, the one way the gateway writes an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import events
from shared.logs import get_logger

log = get_logger("gateway.trail")


async def record(
    session: AsyncSession,
    event_type: str,
    *,
    entity_type: str,
    entity_id: str,
    actor: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    await events.emit_as(session, actor or {}, event_type, entity_type, entity_id, payload)


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


async def record_refusal(
    sessions: Any,
    event_type: str,
    *,
    entity_type: str,
    entity_id: str,
    actor: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Record a refusal alone, best effort: with the database down the refusal must still be
    answered (403, never 500), so a failed write is logged loudly and reported as ``False``."""
    try:
        await record_alone(
            sessions,
            event_type,
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            payload=payload,
        )
    except (OSError, SQLAlchemyError, TimeoutError) as exc:
        log.error("trail.refusal_unrecorded", event_type=event_type, error_type=type(exc).__name__)
        return False
    return True
