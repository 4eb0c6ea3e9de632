"""The anchor: every checkpoint appended as a JSON line to a file outside the database.

A database superuser can rewrite the chain, rehash it and delete the stored checkpoints; the
anchor file (``AUDIT_ANCHOR_PATH``, opened ``O_APPEND``, best on another machine or an
append-only store) keeps what was signed. A checkpoint is anchored only after the transaction
that stored it has committed, so the anchor never names a checkpoint the database lacks
unless someone removed it there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.audit.trail.schemas import CheckpointRead
from shared.logs import get_logger

log = get_logger(__name__)
PENDING = "trail_anchor_pending"
LISTENING = "trail_anchor_listening"


@dataclass(frozen=True)
class AnchorRead:
    """What the anchor file holds: its checkpoints and the line numbers it could not read."""

    path: Path
    exists: bool
    checkpoints: list[CheckpointRead] = field(default_factory=list)
    unreadable_lines: list[int] = field(default_factory=list)


class Anchor:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._latest: int | None = None

    def create(self) -> None:
        """Make the file (and its folder) if missing; never truncates."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))

    def append(self, checkpoints: Sequence[CheckpointRead]) -> None:
        if not checkpoints:
            return
        data = "".join(cp.model_dump_json() + "\n" for cp in checkpoints).encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        self._latest = max(self.latest_seq(), *(cp.seq for cp in checkpoints))

    def read(self) -> AnchorRead:
        if not self.path.exists():
            return AnchorRead(self.path, exists=False)
        found: list[CheckpointRead] = []
        bad: list[int] = []
        with self.path.open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    found.append(CheckpointRead.model_validate_json(line))
                except ValidationError:
                    bad.append(number)
        return AnchorRead(self.path, exists=True, checkpoints=found, unreadable_lines=bad)

    def latest_seq(self) -> int:
        """The highest anchored seq (read once, then kept up to date by this process)."""
        if self._latest is None:
            self._latest = max((cp.seq for cp in self.read().checkpoints), default=0)
        return self._latest


def anchor_after_commit(session: AsyncSession, anchor: Anchor, checkpoint: CheckpointRead) -> None:
    """Anchor ``checkpoint`` once ``session``'s transaction commits; forget it on rollback."""
    sync = session.sync_session
    if not sync.info.get(LISTENING):
        sync.info[LISTENING] = True
        sync.info[PENDING] = []
        event.listen(sync, "after_commit", _flush)
        event.listen(sync, "after_soft_rollback", _drop)
    sync.info[PENDING].append((anchor, checkpoint))


def _flush(session: Session) -> None:
    pending: list[tuple[Anchor, CheckpointRead]] = session.info.get(PENDING, [])
    session.info[PENDING] = []
    by_anchor: dict[int, tuple[Anchor, list[CheckpointRead]]] = {}
    for anchor, cp in pending:
        by_anchor.setdefault(id(anchor), (anchor, []))[1].append(cp)
    for anchor, cps in by_anchor.values():
        try:
            anchor.append(cps)
        except OSError as exc:  # committed already: the next tick anchors the head again
            log.error("trail.anchor_failed", error_type=type(exc).__name__, seq=cps[-1].seq)


def _drop(session: Session, *_: Any) -> None:
    session.info[PENDING] = []
