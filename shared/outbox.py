"""The transactional outbox: a service records an event in the same transaction as its change.

Each service's schema holds an ``outbox`` table built by :func:`outbox_table`. The relay that
ships rows to the audit trail marks them ``sent_at`` once the trail has stored them; events
are identified by ``event_id`` so the receiving side stores each once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    String,
    Table,
    func,
    insert,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from shared.clock import utc_now
from shared.identity import Caller
from shared.request_id import current_request_id

#: Who acts when no person or client does (a scheduled job).
SYSTEM_ACTOR = {"subject": "system", "kind": "job"}


#: The inserting transaction's id (``xid8`` as a bigint): with the snapshot's ``xmin`` it tells
#: which rows are final. ``seq`` is taken at insert, not at commit, so a reader walking ``seq``
#: alone skips a row whose transaction commits after a later ``seq``'s.
TXID_DEFAULT = text("(pg_current_xact_id()::text)::bigint")


def outbox_table(metadata: MetaData, *, commit_ordered: bool = False) -> Table:
    """The outbox; ``commit_ordered`` adds ``txid`` for readers that walk it with a cursor
    (kpis' webhooks) rather than by ``sent_at`` as the relay does."""
    ordered = (
        [
            Column("txid", BigInteger, nullable=False, server_default=TXID_DEFAULT),
            Index("ix_outbox_txid_seq", "txid", "seq"),
        ]
        if commit_ordered
        else []
    )
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("entity_type", String(60), nullable=False),
        Column("entity_id", String(120), nullable=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("request_id", String(64)),
        Column("purpose", String(500)),
        Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", BigInteger, nullable=False, server_default=text("0")),
        Index("ix_outbox_unsent", "seq", postgresql_where=text("sent_at IS NULL")),
        *ordered,
    )


@dataclass(frozen=True)
class OutboxEvent:
    event_type: str
    entity_type: str
    entity_id: str
    actor: dict[str, Any] = field(default_factory=dict)
    payload: dict[str, Any] = field(default_factory=dict)
    purpose: str | None = None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    occurred_at: datetime = field(default_factory=utc_now)


async def add_event(session: AsyncSession, table: Table, event: OutboxEvent) -> None:
    """Write ``event`` into ``table`` inside the session's current transaction."""
    await session.execute(
        insert(table).values(
            event_id=event.event_id,
            event_type=event.event_type,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            occurred_at=event.occurred_at,
            actor=event.actor,
            request_id=current_request_id(),
            purpose=event.purpose,
            payload=event.payload,
        )
    )


def new_event(
    caller: Caller | None,
    event_type: str,
    entity_type: str,
    entity_id: object,
    payload: dict[str, Any] | None = None,
    purpose: str | None = None,
    *,
    actor: dict[str, Any] | None = None,
) -> OutboxEvent:
    """The event every service's ``events.emit`` writes: the caller as actor (the system when
    a job acts, ``actor`` as given before anyone is a caller), the entity id as text within
    the column's 120 characters."""
    if actor is None:
        actor = caller.as_actor() if caller is not None else dict(SYSTEM_ACTOR)
    return OutboxEvent(
        event_type=event_type,
        entity_type=entity_type,
        entity_id=str(entity_id)[:120],
        actor=actor,
        payload=payload or {},
        purpose=purpose,
    )


class Emit(Protocol):
    """The shape of every service's ``events.emit`` (docs/conventions.md, "Events")."""

    async def __call__(
        self,
        session: AsyncSession,
        caller: Caller | None,
        event_type: str,
        entity_type: str,
        entity_id: object,
        payload: dict[str, Any] | None = None,
        purpose: str | None = None,
    ) -> None: ...


def emitter(table: Table, default_purpose: str | None = None) -> Emit:
    """A service's ``events.emit``: each event into ``table`` (that service's outbox) in the
    session's transaction, ``default_purpose`` unless the call names one."""

    async def emit(
        session: AsyncSession,
        caller: Caller | None,
        event_type: str,
        entity_type: str,
        entity_id: object,
        payload: dict[str, Any] | None = None,
        purpose: str | None = default_purpose,
    ) -> None:
        event = new_event(caller, event_type, entity_type, entity_id, payload, purpose)
        await add_event(session, table, event)

    return emit
