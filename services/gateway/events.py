"""The one way the gateway writes a security event: its outbox, in the request's transaction.

``emit`` has the shape of every service's ``events.emit``. ``emit_as`` is for the events that
happen before anyone is a caller (a sign-in, a refused token): the actor is given as written.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.db import outbox
from shared.outbox import add_event, emitter, new_event

emit = emitter(outbox)


async def emit_as(
    session: AsyncSession,
    actor: dict[str, Any],
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any] | None = None,
) -> None:
    event = new_event(None, event_type, entity_type, entity_id, payload, actor=actor)
    await add_event(session, outbox, event)
