"""The one way the board service writes an outbox event (the relay ships it to the trail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.board.db import outbox
from shared.identity import Caller
from shared.outbox import OutboxEvent, add_event

PURPOSE = "board governance"


async def emit(
    session: AsyncSession,
    caller: Caller,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any],
) -> None:
    """Add ``event_type`` to the outbox in the caller's transaction: a rolled-back change
    leaves no event."""
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type=event_type,
            entity_type=entity_type,
            entity_id=str(entity_id),
            actor=caller.as_actor(),
            payload=payload,
            purpose=PURPOSE,
        ),
    )
