"""Group commit of the ingest endpoint: concurrent requests share one chain append.

The chain lock is held from the head read to the commit, so appends run one after another.
Requests arriving while an append runs wait in a queue; the next append takes them all (up
to ``max_events``) under one lock, one insert and one commit, and each request is answered
after that commit — never before its events are durable. A request whose batch the chain
cannot canonicalise gets its own problem; the others are unaffected. If the commit fails,
every request of the group gets the error and nothing of it is stored; the relay's retry is
safe (the trail deduplicates by ``event_id``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.audit.trail import service
from services.audit.trail.anchor import Anchor
from services.audit.trail.schemas import BatchStored, EventCreate
from services.audit.trail.signing import CheckpointSigner
from shared.logs import get_logger

log = get_logger(__name__)


@dataclass
class _Waiting:
    source: str
    events: Sequence[EventCreate]
    prepared: list[service.Prepared]
    answer: asyncio.Future[BatchStored] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class IngestGroups:
    """One per app: queues concurrent appends and runs them in groups, one at a time."""

    def __init__(
        self,
        *,
        signer: CheckpointSigner,
        checkpoint_every: int,
        anchor: Anchor | None,
        max_events: int,
    ) -> None:
        self.signer = signer
        self.checkpoint_every = checkpoint_every
        self.anchor = anchor
        self.max_events = max_events
        self.groups = 0  # appends run (for tests and logs)
        self._queue: list[_Waiting] = []
        self._runner: asyncio.Task[None] | None = None

    async def append(
        self,
        maker: async_sessionmaker[AsyncSession],
        source: str,
        events: Sequence[EventCreate],
    ) -> BatchStored:
        """``events`` appended (with whatever else is waiting) and committed."""
        service.check_events(events)
        # the canonical JSON outside the lock: it runs while another group's append waits
        # on the database
        waiting = _Waiting(source, events, service.prepare(source, events))
        self._queue.append(waiting)
        if self._runner is None or self._runner.done():
            # a task of its own: a request that goes away does not stop the others' append
            self._runner = asyncio.create_task(self._run(maker), name="trail-ingest")
        return await asyncio.shield(waiting.answer)

    def _take(self) -> list[_Waiting]:
        group: list[_Waiting] = []
        size = 0
        while self._queue and (not group or size + len(self._queue[0].events) <= self.max_events):
            size += len(self._queue[0].events)
            group.append(self._queue.pop(0))
        return group

    async def _run(self, maker: async_sessionmaker[AsyncSession]) -> None:
        while self._queue:
            group = self._take()
            try:
                answers = await self._append(maker, group)
            except Exception as exc:
                for waiting in group:
                    if not waiting.answer.done():
                        waiting.answer.set_exception(exc)
                continue
            for waiting, answer in zip(group, answers, strict=True):
                if waiting.answer.done():
                    continue
                if isinstance(answer, BatchStored):
                    waiting.answer.set_result(answer)
                else:
                    waiting.answer.set_exception(answer)

    async def _append(
        self, maker: async_sessionmaker[AsyncSession], group: list[_Waiting]
    ) -> list[BatchStored | Exception]:
        self.groups += 1
        async with maker() as session:
            try:
                answers = await service.append_batches(
                    session,
                    [(w.source, w.events) for w in group],
                    signer=self.signer,
                    checkpoint_every=self.checkpoint_every,
                    anchor=self.anchor,
                    prepared=[w.prepared for w in group],
                )
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if len(group) > 1:
            log.info("trail.grouped", requests=len(group))
        return list(answers)
