"""The one way this service's domains write an outbox event (shipped to the audit trail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.db import outbox
from shared.identity import Caller
from shared.outbox import emit_to


async def emit(
    session: AsyncSession,
    caller: Caller | None,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any] | None = None,
    purpose: str | None = None,
) -> None:
    """An event in the request's transaction: rolled back with the change it records."""
    await emit_to(session, outbox, caller, event_type, entity_type, entity_id, payload, purpose)
