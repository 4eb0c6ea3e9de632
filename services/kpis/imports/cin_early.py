"""A CIN census's rows copied into the store while the rest of the file is still read.

The columnar reader hands each block's pseudonymised rows over as it writes them
(:meth:`EarlyCopy.offer`, from the reading thread); the event loop copies them into the
store meanwhile (PostgreSQL's work, on another core than the reading). Everything is
copied after a savepoint the caller set, so the caller can take it all back: when the
reading turned to the streaming reader (:meth:`EarlyCopy.spoil`), or when a repeated
child's rows must be left out of a partial import. A rejected import rolls the whole
transaction back, as before.

Memory stays flat: at most :data:`WAITING` blocks wait to be taken (the reading thread
waits for room) and at most :data:`COPY_ROWS` rows per list wait to be copied.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.imports.store import copy_rows, derive, to_copy

#: blocks' lists waiting to be taken before the reading thread waits
WAITING = 2
#: rows of a list copied at a time (fewer, larger ``COPY`` statements)
COPY_ROWS = 25_000
T = TypeVar("T")


class EarlyCopy:
    def __init__(self, session: AsyncSession, import_id: uuid.UUID) -> None:
        self.session, self.import_id = session, import_id
        self.loop = asyncio.get_running_loop()
        self.waiting: asyncio.Queue[tuple[str, pl.DataFrame]] = asyncio.Queue(WAITING)
        #: rows copied per list
        self.stored: dict[str, int] = {}
        self.spoiled = False
        #: rows offered and not copied yet, per list (copied :data:`COPY_ROWS` at a time)
        self.pending: dict[str, list[pl.DataFrame]] = {}

    def offer(self, name: str, frame: pl.DataFrame) -> None:
        """A list's rows of one block (``pos`` and the stored columns), from the reading
        thread: waits while :data:`WAITING` blocks wait."""
        if not self.spoiled and frame.height:
            put = self.waiting.put((name, frame))
            asyncio.run_coroutine_threadsafe(put, self.loop).result()

    def spoil(self) -> None:
        """What was offered is not the answer (the caller will take it back): copy no more."""
        self.spoiled = True

    async def alongside(self, reading: Awaitable[T]) -> T:
        """``reading``'s result, the rows it offers copied while it runs. When a copy
        fails, the rest is taken and dropped (the reading thread never waits for room in
        vain) and the error is raised once the reading ends."""
        try:
            result, failed = await self._alongside(asyncio.ensure_future(reading))
        except BaseException:  # cancelled, or the reading failed: let the reader go on
            self.spoil()
            self._drain()
            raise
        if failed is not None:
            raise failed
        if not self.spoiled:
            for name in list(self.pending):
                await self._copy(name)
        return result

    def _drain(self) -> None:
        """Drop what waits, so a reading thread waiting for room goes on (and, the copy
        spoiled, offers nothing more)."""
        while not self.waiting.empty():
            self.waiting.get_nowait()

    async def _alongside(self, task: asyncio.Future[T]) -> tuple[T, BaseException | None]:
        failed: BaseException | None = None
        while True:
            taking = asyncio.ensure_future(self.waiting.get())
            either: set[asyncio.Future[Any]] = {task, taking}
            try:
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            finally:
                taken = taking.done()
                if not taken:
                    taking.cancel()
            if not taken:  # the reading ended: what it offered last may still wait
                if self.waiting.empty():
                    break
                continue
            name, frame = taking.result()
            if self.spoiled or failed is not None:
                continue
            try:
                await self._add(name, frame)
            except Exception as exc:  # raised by the caller, once the reading ends
                failed = exc
                self.spoil()
        return await task, failed

    async def _add(self, name: str, frame: pl.DataFrame) -> None:
        waiting = self.pending.setdefault(name, [])
        waiting.append(frame)
        if sum(f.height for f in waiting) >= COPY_ROWS:
            await self._copy(name)

    async def _copy(self, name: str) -> None:
        frame = pl.concat(self.pending.pop(name))
        derived, payload = await asyncio.to_thread(_encode, name, frame, self.import_id)
        stored = await copy_rows(self.session, name, derived, payload)
        self.stored[name] = self.stored.get(name, 0) + stored


def _encode(
    name: str, frame: pl.DataFrame, import_id: uuid.UUID
) -> tuple[pl.DataFrame, list[bytes]]:
    derived = derive(name, frame.drop("pos"), import_id)
    return derived, to_copy(derived)
