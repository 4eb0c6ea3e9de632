"""The one way the board service writes an outbox event (the relay ships it to the trail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.board.db import outbox
from shared.identity import Caller
from shared.outbox import emit_to

PURPOSE = "board governance"


async def emit(
    session: AsyncSession,
    caller: Caller | None,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any] | None = None,
    purpose: str | None = PURPOSE,
) -> None:
    """Add ``event_type`` to the outbox in the caller's transaction: a rolled-back change
    leaves no event."""
    await emit_to(session, outbox, caller, event_type, entity_type, entity_id, payload, purpose)
