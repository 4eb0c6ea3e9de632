"""Every SQL statement of the trail. Appends are serialised by one transaction-scoped lock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.trail.chain import GENESIS
from services.audit.trail.copytext import COLUMNS as COPY_COLUMNS
from services.audit.trail.models import TrailCheckpoint, TrailEvent
from shared.pagination import SortKey, order_by

__all__ = ["TrailCheckpoint", "TrailEvent"]

#: pg_advisory_xact_lock key of the chain (ASCII "trailhd").
CHAIN_LOCK = 0x747261696C6864
EVENT_COLUMNS = [c for c in TrailEvent.__table__.columns]


async def lock_chain(session: AsyncSession) -> None:
    """Held until the transaction ends: one appender at a time, in commit order."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})


async def lock_head(
    session: AsyncSession, event_ids: Sequence[uuid.UUID]
) -> tuple[int, str, set[uuid.UUID]]:
    """One round trip: the chain lock, then the head and which ``event_ids`` are stored.

    ``audit.trail_lock_head`` (migration 0006) reads after the lock is granted, so it sees
    every append committed before; held until the transaction ends, like ``lock_chain``."""
    row = (
        await session.execute(
            text("SELECT head_seq, head_hash, present FROM audit.trail_lock_head(:key, :ids)"),
            {"key": CHAIN_LOCK, "ids": list(event_ids)},
        )
    ).one()
    if row.head_seq is None:
        return 0, GENESIS, set(row.present)
    return int(row.head_seq), str(row.head_hash), set(row.present)


async def head(session: AsyncSession) -> tuple[int, str]:
    row = (
        await session.execute(
            select(TrailEvent.seq, TrailEvent.hash).order_by(TrailEvent.seq.desc()).limit(1)
        )
    ).first()
    return (int(row.seq), str(row.hash)) if row else (0, GENESIS)


async def present(session: AsyncSession, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    if not event_ids:
        return set()
    rows = await session.scalars(
        select(TrailEvent.event_id).where(TrailEvent.event_id.in_(list(event_ids)))
    )
    return set(rows)


_INSERT_COLUMNS = [c.name for c in EVENT_COLUMNS]


async def insert_events(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One binary COPY on the session's connection and transaction: under the chain lock
    every appender waits for this statement, and COPY costs about half an INSERT's time.
    ``actor`` and ``payload`` come as JSON texts (``service.prepare`` wrote them)."""
    if not rows:
        return
    records = [tuple(row.get(c) for c in _INSERT_COLUMNS) for row in rows]
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        TrailEvent.__tablename__,
        schema_name=TrailEvent.__table__.schema,
        columns=_INSERT_COLUMNS,
        records=records,
    )


async def events_from(session: AsyncSession, after_seq: int, limit: int) -> list[dict[str, Any]]:
    result = await session.execute(
        select(*EVENT_COLUMNS)
        .where(TrailEvent.seq > after_seq)
        .order_by(TrailEvent.seq)
        .limit(limit)
    )
    return [dict(r) for r in result.mappings()]


async def walk(
    session: AsyncSession, chunk: int = 5000, *, after: int = 0, until: int | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Events after ``after`` (up to ``until``) in ``seq`` order, in keyset pages."""
    last = after
    while True:
        rows = await events_from(session, last, chunk)
        for row in rows:
            if until is not None and int(row["seq"]) > until:
                return
            yield row
        if len(rows) < chunk:
            return
        last = int(rows[-1]["seq"])


#: ``copytext.COLUMNS`` as COPY reads them: times in UTC as ISO text (see ``copy_chain``).
_COPY_TIME = {
    True: "{c} AT TIME ZONE 'UTC'",
    False: "to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
}


async def copy_chain(
    session: AsyncSession,
    output: Callable[[bytes], Awaitable[None]],
    *,
    after: int,
    until: int | None,
    limit: int,
) -> None:
    """Up to ``limit`` events after ``after`` (to ``until``) in ``seq`` order, as COPY text.

    Runs on the session's own connection and transaction (it sees what the session sees).
    Timestamps come as ``timestamp AT TIME ZONE 'UTC'`` text, which is ISO when DateStyle is
    (the default); otherwise ``to_char`` spells them the same way, more slowly.
    """
    iso = str(await session.scalar(text("SELECT current_setting('DateStyle')"))).startswith("ISO")
    time = _COPY_TIME[iso]
    columns = ", ".join(
        time.format(c=c) if c in ("occurred_at", "recorded_at") else c for c in COPY_COLUMNS
    )
    where = f"seq > {int(after)}" + ("" if until is None else f" AND seq <= {int(until)}")
    # only integers and this module's own names are formatted in: nothing from outside
    table = f"{TrailEvent.__table__.schema}.{TrailEvent.__tablename__}"
    query = f"SELECT {columns} FROM {table} WHERE {where} ORDER BY seq LIMIT {int(limit)}"  # noqa: S608
    conn = await session.connection()
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.copy_from_query(query, output=output)


async def hash_at(session: AsyncSession, seq: int) -> str | None:
    return await session.scalar(select(TrailEvent.hash).where(TrailEvent.seq == seq))


@dataclass(frozen=True)
class TrailFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    subject: str | None = None
    agency: str | None = None
    client_id: str | None = None
    request_id: str | None = None
    source: str | None = None
    event_type: str | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
    #: the caller may only see events whose actor belongs to this agency (None: all)
    visible_agency: str | None = None


def _where(f: TrailFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.entity_type:
        conds.append(TrailEvent.entity_type == f.entity_type)
    if f.entity_id:
        conds.append(TrailEvent.entity_id == f.entity_id)
    if f.request_id:
        conds.append(TrailEvent.request_id == f.request_id)
    if f.source:
        conds.append(TrailEvent.source == f.source)
    if f.event_type:
        conds.append(TrailEvent.event_type == f.event_type)
    if f.occurred_from:
        conds.append(TrailEvent.occurred_at >= f.occurred_from)
    if f.occurred_to:
        conds.append(TrailEvent.occurred_at < f.occurred_to)
    actor: dict[str, str] = {}
    if f.subject:
        actor["subject"] = f.subject
    if f.agency:
        actor["agency"] = f.agency
    if f.client_id:
        actor["client_id"] = f.client_id
    if actor:
        conds.append(TrailEvent.actor.contains(actor))
    if f.visible_agency is not None:
        conds.append(TrailEvent.actor.contains({"agency": f.visible_agency}))
    return conds


#: field → column for ``?sort=`` of the trail (ties broken by ``seq``, the event's id)
EVENT_SORT = {
    "seq": TrailEvent.seq,
    "occurred_at": TrailEvent.occurred_at,
    "recorded_at": TrailEvent.recorded_at,
}
#: of the checkpoints (ties broken by the checkpoint's id, newest first as before)
CHECKPOINT_SORT = {
    "seq": TrailCheckpoint.seq,
    "created_at": TrailCheckpoint.created_at,
}


async def search(
    session: AsyncSession, f: TrailFilter, sort: list[SortKey], *, limit: int, offset: int
) -> tuple[list[TrailEvent], int]:
    conds = _where(f)
    total = await session.scalar(select(func.count()).select_from(TrailEvent).where(*conds))
    order = order_by(sort, EVENT_SORT, TrailEvent.seq)
    query = select(TrailEvent).where(*conds).order_by(*order).limit(limit).offset(offset)
    rows = list(await session.scalars(query))
    return rows, int(total or 0)


async def add_checkpoint(
    session: AsyncSession,
    *,
    seq: int,
    hash_: str,
    created_at: datetime,
    key_id: str,
    signature: str,
) -> None:
    await session.execute(
        insert(TrailCheckpoint).values(
            seq=seq, hash=hash_, created_at=created_at, key_id=key_id, signature=signature
        )
    )


async def checkpoints(
    session: AsyncSession, sort: list[SortKey], *, limit: int, offset: int
) -> tuple[list[TrailCheckpoint], int]:
    total = await session.scalar(select(func.count()).select_from(TrailCheckpoint))
    order = order_by(sort, CHECKPOINT_SORT, TrailCheckpoint.checkpoint_id.desc())
    rows = list(
        await session.scalars(select(TrailCheckpoint).order_by(*order).limit(limit).offset(offset))
    )
    return rows, int(total or 0)


async def latest_checkpoint(session: AsyncSession) -> TrailCheckpoint | None:
    return await session.scalar(
        select(TrailCheckpoint)
        .order_by(TrailCheckpoint.seq.desc(), TrailCheckpoint.checkpoint_id.desc())
        .limit(1)
    )


async def all_checkpoints(session: AsyncSession) -> list[TrailCheckpoint]:
    return list(await session.scalars(select(TrailCheckpoint).order_by(TrailCheckpoint.seq)))


async def latest_checkpoint_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(TrailCheckpoint.seq))) or 0)


async def recorded_at(session: AsyncSession, seq: int) -> datetime | None:
    return await session.scalar(select(TrailEvent.recorded_at).where(TrailEvent.seq == seq))
