"""The trail's rules: who may append and read, the chain, verification, checkpoints."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rfc8785 import CanonicalizationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.trail import blocks
from services.audit.trail import repository as repo
from services.audit.trail.anchor import Anchor, AnchorRead, anchor_after_commit
from services.audit.trail.chain import ChainWalker, Early, early, late_link, timestamp
from services.audit.trail.copytext import CopyReader, JsonCache
from services.audit.trail.repository import TrailFilter
from services.audit.trail.schemas import (
    BatchStored,
    BrokenLink,
    CheckpointRead,
    EventBatch,
    EventCreate,
    UnprotectedTail,
    Verification,
)
from services.audit.trail.signing import CheckpointSigner
from shared import rights
from shared.clock import utc_now
from shared.identity import Caller
from shared.logs import get_logger
from shared.outbox import OutboxEvent
from shared.problems import Forbidden, InvalidInput, invalid
from shared.request_id import current_request_id
from shared.vocabulary import LEAD_AGENCY

__all__ = ["TrailFilter"]  # re-exported: the router builds the search filter

log = get_logger(__name__)
RELAY_SUFFIX = "-relay"
SOURCE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OWN_SOURCE = "audit"
SAFE_INT = 2**53
COPY_CHUNK = 100_000  # events per COPY statement of verify
PARALLEL_FROM = 50_000  # events from which verify checks blocks in worker processes


# --- who ---------------------------------------------------------------------------------


def source_of(caller: Caller) -> str:
    """A relay client ``<service>-relay`` of the council with ``trail:append`` → ``<service>``."""
    client = caller.client_id or ""
    source = client.removesuffix(RELAY_SUFFIX)
    if (
        caller.kind != "client"
        or not caller.has_scope("trail:append")
        or caller.agency != LEAD_AGENCY
        or not client.endswith(RELAY_SUFFIX)
        or not SOURCE_RE.match(source)
    ):
        raise Forbidden("only a service's outbox relay (scope trail:append) may append")
    return source


def require_checkpoint_reader(caller: Caller) -> None:
    """``trail:checkpoint`` (shared/rights.py): the latest checkpoint alone, never an event."""
    if not rights.holds(caller, "trail:checkpoint"):
        raise Forbidden("reading the latest checkpoint needs trail:checkpoint (or trail:read)")


def require_reader(caller: Caller) -> None:
    """``trail:read`` (shared/rights.py): auditors, administrators, readers with the scope."""
    if not rights.holds(caller, "trail:read"):
        raise Forbidden("reading the trail needs trail:read (auditor, admin, or the scope)")


def visible_agency(caller: Caller) -> str | None:
    """Council readers see every agency's events; a partner sees its own agency's only."""
    return None if caller.agency == LEAD_AGENCY else caller.agency


def require_checkpointer(caller: Caller) -> None:
    if not rights.holds(caller, "admin"):
        raise Forbidden("making a checkpoint needs the admin role or scope")


# --- append ------------------------------------------------------------------------------


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_json(key, where)
            _check_json(item, where)
    elif isinstance(value, list):
        for item in value:
            _check_json(item, where)
    elif isinstance(value, str):
        if "\x00" in value:
            raise _invalid(where, "text may not contain NUL characters")
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float) and abs(value) >= SAFE_INT:
        raise _invalid(where, "numbers must lie within ±2^53 (RFC 8785 / I-JSON)")


def _invalid(where: str, message: str) -> InvalidInput:
    return invalid(where, message, "not_canonical", detail=f"{where}: {message}")


def check_batch_size(batch: EventBatch, limit: int) -> None:
    """A relay's batch holds at most ``limit`` events (the service's setting)."""
    if len(batch.events) > limit:
        raise invalid("events", "too many", "too_many", detail=f"at most {limit} events per batch")


def check_events(events: Sequence[EventCreate]) -> None:
    """Refuse, before anything is queued or locked, what the chain cannot canonicalise."""
    for i, event in enumerate(events):
        _check_json(event.actor, f"events[{i}].actor")
        _check_json(event.payload, f"events[{i}].payload")


async def append(
    session: AsyncSession,
    source: str,
    events: Sequence[EventCreate],
    *,
    signer: CheckpointSigner | None = None,
    checkpoint_every: int = 100,
    anchor: Anchor | None = None,
) -> BatchStored:
    """Store each event once, chained after the current head; returns every id now stored."""
    check_events(events)
    (answer,) = await append_batches(
        session, [(source, events)], signer=signer, checkpoint_every=checkpoint_every, anchor=anchor
    )
    if isinstance(answer, InvalidInput):
        raise answer
    return answer


@dataclass(frozen=True)
class Prepared:
    """What of an event's link and row needs no lock: its canonical document but for
    ``seq`` and ``recorded_at`` (``chain.Early``), and the JSON texts stored."""

    early: Early
    actor: str
    payload: str


def prepare(source: str, events: Sequence[EventCreate]) -> list[Prepared]:
    """The costly, lock-free part of appending ``events`` (RFC 8785 of actor and payload):
    the ingest group commit runs it before queueing, so it overlaps another group's append.
    Raises the batch's ``InvalidInput`` for a payload the chain cannot canonicalise."""
    made: list[Prepared] = []
    for i, event in enumerate(events):
        fields = {
            "event_id": event.event_id,
            "source": source,
            "event_type": event.event_type,
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "occurred_at": event.occurred_at,
            "actor": event.actor,
            "request_id": event.request_id,
            "purpose": event.purpose,
            "payload": event.payload,
        }
        try:
            parts = early(fields)
        except CanonicalizationError as exc:
            raise _invalid(f"events[{i}].payload", "not representable as I-JSON") from exc
        made.append(Prepared(parts, json.dumps(event.actor), json.dumps(event.payload)))
    return made


async def append_batches(
    session: AsyncSession,
    batches: Sequence[tuple[str, Sequence[EventCreate]]],
    *,
    signer: CheckpointSigner | None = None,
    checkpoint_every: int = 100,
    anchor: Anchor | None = None,
    prepared: Sequence[list[Prepared] | None] | None = None,
) -> list[BatchStored | InvalidInput]:
    """Several callers' batches under one chain lock and one insert, in the order given.

    Each batch is all-or-nothing: one the chain cannot canonicalise gets its problem as its
    answer and adds nothing (the batches after it chain on as if it had not come); every
    other batch gets its ``BatchStored`` (valid once the caller's transaction commits).
    ``prepared``: each batch's ``prepare`` made before (None: made here, under the lock)."""
    ids = [e.event_id for _, events in batches for e in events]
    seq, prev, already = await repo.lock_head(session, ids)
    start = seq
    now = utc_now()
    rows: list[dict[str, Any]] = []
    answers: list[BatchStored | InvalidInput] = []
    for k, (source, events) in enumerate(batches):
        try:
            early_parts = prepared[k] if prepared is not None else None
            if early_parts is None:
                early_parts = prepare(source, events)
        except InvalidInput as problem:
            answers.append(problem)
            continue
        mine, seq, prev = _chain(source, events, early_parts, seq, prev, already, now)
        already.update(row["event_id"] for row in mine)
        rows.extend(mine)
        answers.append(BatchStored(stored=[e.event_id for e in events], new=len(mine), head_seq=0))
    await repo.insert_events(session, rows)
    if signer is not None and rows and seq // checkpoint_every > start // checkpoint_every:
        await make_checkpoint(session, signer, seq, prev, anchor=anchor)
    if rows:
        log.info("trail.appended", batches=len(batches), count=len(rows), head_seq=seq)
    for answer in answers:
        if isinstance(answer, BatchStored):
            answer.head_seq = seq
    return answers


def _chain(
    source: str,
    events: Sequence[EventCreate],
    early_parts: Sequence[Prepared],
    seq: int,
    prev_hash: str,
    already: set[Any],
    now: datetime,
) -> tuple[list[dict[str, Any]], int, str]:
    """The rows of ``events`` not in ``already`` (nor repeated), chained after ``seq``/``prev``.

    Their ``actor`` and ``payload`` are JSON texts (``repo.insert_events`` stores them)."""
    rows: list[dict[str, Any]] = []
    taken: set[Any] = set()
    recorded = json.dumps(timestamp(now)).encode()
    prev = bytes.fromhex(prev_hash)
    for event, made in zip(events, early_parts, strict=True):
        if event.event_id in already or event.event_id in taken:
            continue
        taken.add(event.event_id)
        seq += 1
        prev = late_link(prev, made.early, recorded, seq)
        rows.append(
            {
                "seq": seq,
                "event_id": event.event_id,
                "source": source,
                "event_type": event.event_type,
                "entity_type": event.entity_type,
                "entity_id": event.entity_id,
                "occurred_at": event.occurred_at,
                "recorded_at": now,
                "actor": made.actor,
                "request_id": event.request_id,
                "purpose": event.purpose,
                "payload": made.payload,
                "hash": prev.hex(),
            }
        )
    return rows, seq, prev.hex()


async def record(
    session: AsyncSession,
    event: OutboxEvent,
    *,
    signer: CheckpointSigner | None = None,
    checkpoint_every: int = 100,
    anchor: Anchor | None = None,
) -> None:
    """The audit service's own events go straight into the chain, in the same transaction."""
    item = EventCreate(
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
    await append(
        session, OWN_SOURCE, [item], signer=signer, checkpoint_every=checkpoint_every, anchor=anchor
    )


# --- checkpoints -------------------------------------------------------------------------


async def make_checkpoint(
    session: AsyncSession,
    signer: CheckpointSigner,
    seq: int | None = None,
    hash_: str | None = None,
    *,
    anchor: Anchor | None = None,
) -> CheckpointRead:
    """Sign and store a checkpoint of the head; anchor it outside the database on commit."""
    if seq is None or hash_ is None:
        seq, hash_ = await repo.head(session)
    created = utc_now()
    created_text = timestamp(created)
    signature = signer.sign(seq, hash_, created_text)
    await repo.add_checkpoint(
        session, seq=seq, hash_=hash_, created_at=created, key_id=signer.key_id, signature=signature
    )
    made = CheckpointRead(
        seq=seq, hash=hash_, created_at=created_text, key_id=signer.key_id, signature=signature
    )
    if anchor is not None:
        anchor_after_commit(session, anchor, made)
    return made


async def checkpoint_tail(
    session: AsyncSession, signer: CheckpointSigner, anchor: Anchor | None
) -> CheckpointRead | None:
    """A checkpoint of the head when events lie after the latest (anchored) one; else none.

    Run every ``AUDIT_CHECKPOINT_EVERY_S`` so no event stays unprotected longer than that."""
    await repo.lock_chain(session)
    seq, hash_ = await repo.head(session)
    covered = anchor.latest_seq() if anchor is not None else None
    if covered is None:
        covered = await repo.latest_checkpoint_seq(session)
    if seq <= covered:
        return None
    return await make_checkpoint(session, signer, seq, hash_, anchor=anchor)


def checkpoint_read(row: Any) -> CheckpointRead:
    return CheckpointRead(
        seq=row.seq,
        hash=row.hash,
        created_at=timestamp(row.created_at),
        key_id=row.key_id,
        signature=row.signature,
    )


# --- verify ------------------------------------------------------------------------------


async def verify(
    session: AsyncSession,
    keys: CheckpointSigner,
    extra: Iterable[CheckpointRead] = (),
    *,
    from_seq: int = 1,
    to_seq: int | None = None,
    anchored: AnchorRead | None = None,
    workers: int | None = None,
) -> Verification:
    """Walk the whole chain; check every stored, given and anchored checkpoint against it.

    Checkpoints signed by a key the service does not know (an ephemeral key of an earlier
    local run, a rotated key not listed in ``checkpoint_trusted_keys``) are skipped and
    counted; a known key with a bad signature is a break. ``anchored`` (the anchor file
    outside the database) adds: an anchored checkpoint missing from the database, a chain
    differing from or shorter than an anchored checkpoint, a missing anchor file or an
    unreadable line are breaks. ``from_seq``/``to_seq`` check a range only (trusting the
    stored hash just before it), for incremental checks of a long chain; the command checks
    everything. The answer also tells the unprotected tail: events after the latest
    (anchored) checkpoint. ``workers``: processes checking a long range in blocks (default
    ``blocks.default_workers()``: 1, this process).
    """
    tail = await _tail(session, keys, anchored)
    file_break = _anchor_file_break(anchored)
    stored = [checkpoint_read(c) for c in await repo.all_checkpoints(session)]
    from_anchor = anchored.checkpoints if anchored is not None else []
    points: list[CheckpointRead] = []
    skipped = 0
    for cp in sorted([*stored, *extra, *from_anchor], key=lambda c: c.seq):
        ok = keys.check(cp.seq, cp.hash, cp.created_at, cp.key_id, cp.signature)
        if ok is None:
            skipped += 1
        elif ok:
            points.append(cp)
        else:
            broken = BrokenLink(seq=cp.seq, reason="a checkpoint's signature does not verify")
            return _result(ChainWalker(), points=0, skipped=skipped, broken=broken, tail=tail)
    if file_break is not None:
        return _result(ChainWalker(), points=0, skipped=skipped, broken=file_break, tail=tail)
    if from_seq > 1 or to_seq is not None:
        points = [
            cp for cp in points if cp.seq >= from_seq and (to_seq is None or cp.seq <= to_seq)
        ]
    walker = ChainWalker(watch={cp.seq for cp in points}, expected_seq=from_seq)
    if from_seq > 1:
        before = await repo.hash_at(session, from_seq - 1)
        if before is None and from_seq - 1 > (await repo.head(session))[0]:
            return _result(walker, points=0, skipped=skipped, broken=None, tail=tail)
        if before is None:
            broken = BrokenLink(seq=from_seq - 1, reason=f"event seq {from_seq - 1} is missing")
            return _result(walker, points=0, skipped=skipped, broken=broken, tail=tail)
        walker.prev_hash = before
    await _walk(session, walker, after=from_seq - 1, until=to_seq, workers=workers)
    first = _checked_against(walker, points)
    missing = _anchored_but_not_stored(stored, from_anchor, points)
    if missing is not None and (first is None or missing.seq < first.seq):
        first = missing
    return _result(
        walker,
        points=len(points),
        skipped=skipped,
        broken=first,
        tail=tail,
        anchored=len(from_anchor),
    )


async def _walk(
    session: AsyncSession,
    walker: ChainWalker,
    *,
    after: int,
    until: int | None,
    workers: int | None = None,
) -> None:
    """Feed the events after ``after`` (to ``until``) to ``walker`` until it stops.

    Reads COPY text in chunks of ``COPY_CHUNK`` events (flat memory, each statement short)
    and builds the canonical documents from the text (``copytext``); an event whose text
    that path is not sure of is read as a row and fed through ``chain.canonical``. A range
    of ``PARALLEL_FROM`` events or more is checked in blocks by ``workers`` processes
    (``blocks``: same answer, every core); a smaller one in this process."""
    if workers is None:
        workers = blocks.default_workers()
    if workers > 1:
        head_seq, _ = await repo.head(session)
        if min(head_seq, until if until is not None else head_seq) - after < PARALLEL_FROM:
            workers = 1
    if workers <= 1:
        await _walk_here(session, walker, after=after, until=until)
        return
    pool = blocks.Workers(workers)
    try:
        await pool.start()
        while walker.broken is None:
            reader = blocks.BlockReader(walker, pool, depth=3 * workers)
            while not reader.done:
                before = reader.rows
                await repo.copy_chain(
                    session, reader, after=reader.next_seq - 1, until=until, limit=COPY_CHUNK
                )
                await reader.end_of_statement()
                if reader.rows - before < COPY_CHUNK:
                    break
            await reader.finish()
            if reader.unsure is None:
                return
            rows = await repo.events_from(session, reader.unsure - 1, 1)
            walker.feed(rows[0])
    finally:
        await pool.close()


async def _walk_here(
    session: AsyncSession, walker: ChainWalker, *, after: int, until: int | None
) -> None:
    cache = JsonCache()
    while walker.broken is None:
        reader = CopyReader(walker, cache)
        await repo.copy_chain(session, reader, after=after, until=until, limit=COPY_CHUNK)
        if reader.unsure is not None:
            rows = await repo.events_from(session, reader.unsure - 1, 1)
            walker.feed(rows[0])
        elif reader.rows < COPY_CHUNK:
            return
        after = walker.expected_seq - 1


def _checked_against(walker: ChainWalker, points: list[CheckpointRead]) -> BrokenLink | None:
    """The first broken link of the walk, or the first checkpoint the chain disagrees with."""
    first: BrokenLink | None = None
    if walker.broken is not None:
        b = walker.broken
        first = BrokenLink(
            seq=b.seq,
            reason=b.reason,
            event_id=b.event_id,
            stored_hash=b.stored_hash,
            expected_hash=b.expected_hash,
        )
    last_good = 0
    for cp in points:
        if first is not None and cp.seq >= first.seq:
            break
        if cp.seq == 0:
            continue
        if cp.seq not in walker.seen:
            return BrokenLink(
                seq=walker.expected_seq,
                reason=f"events from seq {walker.expected_seq} are missing: a signed "
                f"checkpoint covers seq {cp.seq}",
            )
        if walker.seen[cp.seq] != cp.hash:
            return BrokenLink(
                seq=cp.seq,
                reason=f"the chain differs from the signed checkpoint at seq {cp.seq}: "
                f"rewritten after seq {last_good} and at or before seq {cp.seq}",
                stored_hash=walker.seen[cp.seq],
                expected_hash=cp.hash,
            )
        last_good = cp.seq
    return first


def _key(cp: CheckpointRead) -> tuple[int, str, str, str]:
    return (cp.seq, cp.hash, cp.key_id, cp.signature)


def _anchored_but_not_stored(
    stored: list[CheckpointRead], anchored: list[CheckpointRead], valid: list[CheckpointRead]
) -> BrokenLink | None:
    """The lowest validly signed anchored checkpoint the database no longer holds."""
    held = {_key(cp) for cp in stored}
    trusted = {_key(cp) for cp in valid}
    for cp in sorted(anchored, key=lambda c: c.seq):
        if _key(cp) in trusted and _key(cp) not in held:
            return BrokenLink(
                seq=cp.seq,
                reason=f"the checkpoint of seq {cp.seq} anchored outside the database is "
                "missing from the database",
                expected_hash=cp.hash,
            )
    return None


def _anchor_file_break(anchored: AnchorRead | None) -> BrokenLink | None:
    if anchored is None:
        return None
    if not anchored.exists:
        return BrokenLink(seq=0, reason="the anchor file outside the database is missing")
    if anchored.unreadable_lines:
        line = anchored.unreadable_lines[0]
        return BrokenLink(seq=0, reason=f"line {line} of the anchor file is not a checkpoint")
    return None


async def _tail(
    session: AsyncSession, keys: CheckpointSigner, anchored: AnchorRead | None
) -> UnprotectedTail:
    """Events after the latest validly signed checkpoint (anchored one, if anchored)."""
    if anchored is not None:
        candidates = anchored.checkpoints
    else:
        candidates = [checkpoint_read(c) for c in await repo.all_checkpoints(session)]
    after = max(
        (
            cp.seq
            for cp in candidates
            if keys.check(cp.seq, cp.hash, cp.created_at, cp.key_id, cp.signature)
        ),
        default=0,
    )
    head_seq, _ = await repo.head(session)
    events = max(head_seq - after, 0)
    oldest = await repo.recorded_at(session, after + 1) if events else None
    age = (utc_now() - oldest).total_seconds() if oldest is not None else None
    return UnprotectedTail(
        after_seq=after,
        events=events,
        oldest_recorded_at=oldest,
        age_s=age,
        anchored=anchored is not None,
    )


def _result(
    walker: ChainWalker,
    *,
    points: int,
    skipped: int,
    broken: BrokenLink | None,
    tail: UnprotectedTail | None = None,
    anchored: int = 0,
) -> Verification:
    if broken is not None:
        log.warning("trail.broken", seq=broken.seq)
    return Verification(
        valid=broken is None,
        events_checked=walker.checked,
        head_seq=walker.expected_seq - 1,
        head_hash=walker.prev_hash,
        checkpoints_checked=points,
        checkpoints_skipped=skipped,
        anchored_checkpoints=anchored,
        first_broken=broken,
        unprotected_tail=tail,
    )
