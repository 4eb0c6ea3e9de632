"""Reading the trail: search, checkpoints, verification; each read is itself recorded."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import events
from services.audit.trail import repository as repo
from services.audit.trail import service
from services.audit.trail.anchor import Anchor
from services.audit.trail.repository import TrailFilter
from services.audit.trail.schemas import (
    CheckpointRead,
    LatestCheckpoint,
    TrailEventRead,
    Verification,
    Who,
)
from services.audit.trail.signing import CheckpointSigner
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey

__all__ = ["TrailFilter"]  # re-exported: the router builds the search filter


#: the fields ``?sort=`` of the trail and of the checkpoints allow, and their defaults
EVENT_SORT = tuple(repo.EVENT_SORT)
CHECKPOINT_SORT = tuple(repo.CHECKPOINT_SORT)
NEWEST_FIRST = [SortKey("seq", descending=True)]


async def search(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    filters: TrailFilter,
    newest_first: bool,
    sort: list[SortKey],
) -> Page[TrailEventRead]:
    """One page of the trail the caller may see, in ``sort`` order (``order=oldest``, kept
    for older callers, turns the default newest-first into oldest-first); the search itself
    is recorded."""
    service.require_reader(caller)
    filters = replace(filters, visible_agency=service.visible_agency(caller))
    if not newest_first and sort == NEWEST_FIRST:
        sort = [SortKey("seq")]
    rows, total = await repo.search(session, filters, sort, limit=page.limit, offset=page.offset)
    asked = {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in vars(filters).items()
        if v is not None
    }
    await events.emit(
        session, caller, "trail.searched", "trail", "search", {"filters": asked, "total": total}
    )
    return Page(
        items=[_event_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


async def latest_checkpoint(session: AsyncSession, caller: Caller) -> LatestCheckpoint:
    """The newest signed checkpoint (none before the first); the read is recorded."""
    service.require_checkpoint_reader(caller)
    row = await repo.latest_checkpoint(session)
    found = None if row is None else service.checkpoint_read(row)
    await events.emit(
        session,
        caller,
        "trail.checkpoint_read",
        "trail",
        "checkpoints",
        {"seq": None if found is None else found.seq},
    )
    return LatestCheckpoint(checkpoint=found)


async def list_checkpoints(
    session: AsyncSession, caller: Caller, sort: list[SortKey], page: PageParams
) -> Page[CheckpointRead]:
    """Signed checkpoints, newest first unless ``sort`` says otherwise; the export is
    recorded."""
    service.require_reader(caller)
    rows, total = await repo.checkpoints(session, sort, limit=page.limit, offset=page.offset)
    await events.emit(
        session, caller, "trail.checkpoints_exported", "trail", "checkpoints", {"total": total}
    )
    return Page(
        items=[service.checkpoint_read(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def _event_read(row: repo.TrailEvent) -> TrailEventRead:
    actor = row.actor or {}
    return TrailEventRead(
        seq=row.seq,
        event_id=row.event_id,
        source=row.source,
        event_type=row.event_type,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        who=Who.model_validate(
            {k: actor.get(k) for k in Who.model_fields if actor.get(k) is not None}
        ),
        purpose=row.purpose,
        request_id=row.request_id,
        payload=row.payload,
        hash=row.hash,
    )


async def verify(
    session: AsyncSession,
    caller: Caller,
    signer: CheckpointSigner,
    anchor: Anchor | None,
    *,
    from_seq: int = 1,
    to_seq: int | None = None,
    against: CheckpointRead | None = None,
) -> Verification:
    """Walk the chain (a range, or against an exported checkpoint); the check is recorded."""
    service.require_reader(caller)
    anchored = anchor.read() if anchor is not None else None
    if against is not None:
        result = await service.verify(session, signer, [against], anchored=anchored)
        detail = {"valid": result.valid, "checkpoint_seq": against.seq}
    else:
        result = await service.verify(
            session, signer, from_seq=from_seq, to_seq=to_seq, anchored=anchored
        )
        detail = {"valid": result.valid, "head_seq": result.head_seq}
    await events.emit(session, caller, "trail.verified", "trail", "verify", detail)
    return result


async def checkpoint_now(
    session: AsyncSession, caller: Caller, signer: CheckpointSigner, anchor: Anchor | None
) -> CheckpointRead:
    """Sign a checkpoint of the current head (the request is recorded first)."""
    service.require_checkpointer(caller)
    await events.emit(session, caller, "trail.checkpoint_requested", "trail", "checkpoints", {})
    return await service.make_checkpoint(session, signer, anchor=anchor)
