"""Outbox events shared by the service's domains (field-naming problems: shared.problems)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.db import outbox
from shared.identity import Caller
from shared.outbox import OutboxEvent, add_event


async def emit(
    session: AsyncSession,
    caller: Caller | None,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any],
    purpose: str = "improvement plan",
) -> None:
    actor = caller.as_actor() if caller is not None else {"subject": "system", "kind": "job"}
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type=event_type,
            entity_type=entity_type,
            entity_id=str(entity_id),
            actor=actor,
            payload=payload,
            purpose=purpose,
        ),
    )
