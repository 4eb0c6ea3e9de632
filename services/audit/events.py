"""The audit service's own changes and reads, recorded straight into the trail.

The audit service owns the chain, so its events are appended in the same transaction as the
change (no relay round trip through the gateway back to itself): a rolled-back change leaves
no event, and a committed one is in the chain at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from services.audit.trail import service as trail
from services.audit.trail.anchor import Anchor
from services.audit.trail.signing import CheckpointSigner
from shared.db import SessionDep
from shared.idempotency import caller_scope
from shared.identity import Caller, CallerDep
from shared.outbox import OutboxEvent


@dataclass(frozen=True)
class Recorder:
    session: Any
    signer: CheckpointSigner
    caller: Caller
    checkpoint_every: int = 100
    anchor: Anchor | None = None

    async def __call__(
        self,
        event_type: str,
        entity_type: str,
        entity_id: object,
        payload: dict[str, Any] | None = None,
        purpose: str | None = None,
    ) -> None:
        event = OutboxEvent(
            event_type=event_type,
            entity_type=entity_type,
            entity_id=str(entity_id),
            actor=self.caller.as_actor(),
            payload=payload or {},
            purpose=purpose,
        )
        await trail.record(
            self.session,
            event,
            signer=self.signer,
            checkpoint_every=self.checkpoint_every,
            anchor=self.anchor,
        )


def _recorder(request: Request, session: SessionDep, caller: CallerDep) -> Recorder:
    state = request.app.state
    return Recorder(
        session=session,
        signer=state.trail_signer,
        caller=caller,
        checkpoint_every=state.settings.checkpoint_every_events,
        anchor=getattr(state, "trail_anchor", None),
    )


RecorderDep = Annotated[Recorder, Depends(_recorder)]


def idempotency_scope(caller: Caller) -> str:
    """Idempotency keys are scoped per caller, by the one rule in ``shared.idempotency``."""
    return caller_scope(caller)
