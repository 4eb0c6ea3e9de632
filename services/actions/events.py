"""The one way this service's domains write an outbox event (shipped to the audit trail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.db import outbox
from shared.identity import Caller
from shared.outbox import emit_to

PURPOSE = "improvement plan"


async def emit(
    session: AsyncSession,
    caller: Caller | None,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any] | None = None,
    purpose: str | None = PURPOSE,
) -> None:
    """The event in the caller's transaction (``None``: a scheduled job acts)."""
    await emit_to(session, outbox, caller, event_type, entity_type, entity_id, payload, purpose)
