"""HTTP for the trail: ingest from relays, search, verify, checkpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.audit.events import TrailBound
from services.audit.params import MAX_ID, text_query
from services.audit.trail import reading, service
from services.audit.trail.anchor import Anchor
from services.audit.trail.ingest import IngestGroups
from services.audit.trail.schemas import (
    BatchStored,
    CheckpointRead,
    EventBatch,
    LatestCheckpoint,
    PublicKeyRead,
    TrailEventRead,
    Verification,
)
from services.audit.trail.signing import CheckpointSigner
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/trail", tags=["trail"], dependencies=[TrailBound])


def _signer(request: Request) -> CheckpointSigner:
    signer: CheckpointSigner = request.app.state.trail_signer
    return signer


def _anchor(request: Request) -> Anchor | None:
    anchor: Anchor | None = getattr(request.app.state, "trail_anchor", None)
    return anchor


SignerDep = Annotated[CheckpointSigner, Depends(_signer)]
AnchorDep = Annotated[Anchor | None, Depends(_anchor)]
Short = Annotated[str | None, text_query(120)]


def _ingest(request: Request) -> IngestGroups:
    """The app's group commit of appends, made on first use."""
    groups: IngestGroups | None = getattr(request.app.state, "trail_ingest", None)
    if groups is None:
        settings = request.app.state.settings
        groups = IngestGroups(
            signer=_signer(request),
            checkpoint_every=settings.checkpoint_every_events,
            anchor=_anchor(request),
            max_events=settings.trail_ingest_max_batch,
        )
        request.app.state.trail_ingest = groups
    return groups


@router.post("/events", summary="Append a relay's batch of outbox events (dedup by event_id)")
async def append_events(
    batch: EventBatch,
    caller: CallerDep,
    groups: Annotated[IngestGroups, Depends(_ingest)],
    request: Request,
) -> BatchStored:
    """Answered after the commit of the group append that took this batch (``ingest``)."""
    source = service.source_of(caller)
    service.check_batch_size(batch, request.app.state.settings.trail_ingest_max_batch)
    return await groups.append(request.app.state.sessionmaker, source, batch.events)


@router.get("", summary="Search the trail (recorded as a read)")
async def search_trail(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(reading.EVENT_SORT, "-seq")],
    entity_type: Short = None,
    entity_id: Short = None,
    subject: Short = None,
    agency: Short = None,
    client_id: Short = None,
    request_id: Annotated[str | None, text_query(64)] = None,
    source: Annotated[str | None, text_query(40)] = None,
    event_type: Annotated[str | None, text_query(100)] = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    order: Annotated[
        Literal["newest", "oldest"],
        Query(description="kept for older callers: 'oldest' is sort=seq"),
    ] = "newest",
) -> Page[TrailEventRead]:
    filters = reading.TrailFilter(
        entity_type=entity_type,
        entity_id=entity_id,
        subject=subject,
        agency=agency,
        client_id=client_id,
        request_id=request_id,
        source=source,
        event_type=event_type,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    return await reading.search(session, caller, page, filters, order == "newest", sort)


@router.get("/verify", summary="Walk the chain and the signed checkpoints; name the first break")
async def verify_trail(
    caller: CallerDep,
    session: SessionDep,
    signer: SignerDep,
    anchor: AnchorDep,
    from_seq: Annotated[int, Query(ge=1, le=MAX_ID, description="start of a range check")] = 1,
    to_seq: Annotated[int | None, Query(ge=1, le=MAX_ID, description="end of a range")] = None,
) -> Verification:
    return await reading.verify(session, caller, signer, anchor, from_seq=from_seq, to_seq=to_seq)


@router.get("/checkpoints", summary="Export signed checkpoints, newest first")
async def list_checkpoints(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(reading.CHECKPOINT_SORT, "-seq")],
) -> Page[CheckpointRead]:
    return await reading.list_checkpoints(session, caller, sort, page)


@router.get(
    "/checkpoints/latest",
    summary="The latest signed checkpoint alone (seq, hash, signature), to pin a pack to",
)
async def latest_checkpoint(caller: CallerDep, session: SessionDep) -> LatestCheckpoint:
    return await reading.latest_checkpoint(session, caller)


@router.post("/checkpoints", status_code=201, summary="Sign a checkpoint of the current head")
async def create_checkpoint(
    caller: CallerDep,
    session: SessionDep,
    signer: SignerDep,
    anchor: AnchorDep,
) -> CheckpointRead:
    return await reading.checkpoint_now(session, caller, signer, anchor)


@router.post(
    "/checkpoints/verify", summary="Verify the chain against an exported (earlier) checkpoint"
)
async def verify_against(
    checkpoint: CheckpointRead,
    caller: CallerDep,
    session: SessionDep,
    signer: SignerDep,
    anchor: AnchorDep,
) -> Verification:
    return await reading.verify(session, caller, signer, anchor, against=checkpoint)


@router.get("/checkpoints/public-key", summary="The public key checkpoints are signed with")
async def public_key(caller: CallerDep, signer: SignerDep) -> PublicKeyRead:
    service.require_reader(caller)
    return PublicKeyRead(key_id=signer.key_id, public_key_pem=signer.pem)
