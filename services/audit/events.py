"""The one way the audit service writes an event: ``emit``, straight into its own trail.

The audit service owns the chain, so its events are appended in the same transaction as the
change (no relay round trip through the gateway back to itself): a rolled-back change leaves
no event, and a committed one is in the chain at once. ``emit`` has the shape of every other
service's ``events.emit``; how the chain is signed travels with the request's session
(``bind``, done for every audit route by ``TrailBound``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.trail import service as trail
from services.audit.trail.anchor import Anchor
from services.audit.trail.signing import CheckpointSigner
from shared.db import SessionDep
from shared.idempotency import caller_scope
from shared.identity import Caller
from shared.outbox import new_event

_KEY = "audit.trail"


@dataclass(frozen=True)
class TrailWriter:
    """How this session's events join the chain: the checkpoint signer and its cadence."""

    signer: CheckpointSigner
    checkpoint_every: int = 100
    anchor: Anchor | None = None


def bind(session: AsyncSession, writer: TrailWriter) -> None:
    """Events emitted on ``session`` join the chain through ``writer``."""
    session.info[_KEY] = writer


async def emit(
    session: AsyncSession,
    caller: Caller | None,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any] | None = None,
    purpose: str | None = None,
) -> None:
    """Append the event to the trail in the session's transaction."""
    writer = session.info.get(_KEY)
    if not isinstance(writer, TrailWriter):
        raise RuntimeError("an audit session emitted an event without a bound trail writer")
    await trail.record(
        session,
        new_event(caller, event_type, entity_type, entity_id, payload, purpose),
        signer=writer.signer,
        checkpoint_every=writer.checkpoint_every,
        anchor=writer.anchor,
    )


def _bind_request_session(request: Request, session: SessionDep) -> None:
    state = request.app.state
    bind(
        session,
        TrailWriter(
            signer=state.trail_signer,
            checkpoint_every=state.settings.checkpoint_every_events,
            anchor=getattr(state, "trail_anchor", None),
        ),
    )


#: A router dependency of every audit router: the request's session can emit.
TrailBound = Depends(_bind_request_session)


def idempotency_scope(caller: Caller) -> str:
    """Idempotency keys are scoped per caller, by the one rule in ``shared.idempotency``."""
    return caller_scope(caller)
