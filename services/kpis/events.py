"""The one way this service's domains write an outbox event (shipped to the audit trail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.db import outbox
from shared.identity import Caller
from shared.outbox import OutboxEvent, add_event


async def emit(
    session: AsyncSession,
    caller: Caller,
    event_type: str,
    entity_type: str,
    entity_id: str,
    payload: dict[str, Any],
) -> None:
    """An event in the request's transaction: rolled back with the change it records."""
    event = OutboxEvent(event_type, entity_type, entity_id, caller.as_actor(), payload)
    await add_event(session, outbox, event)
