"""An import's progress, kept on its job row so every kpis replica reads the same.

The runner holds its job's row with ``FOR KEY SHARE`` for the whole run (the sign that it
is alive, see ``service._abandoned``); progress is written beside it by
:class:`ProgressWriter` in short transactions of their own, on other connections of the
same engine, so a reader on any replica sees it as it moves. ``FOR KEY SHARE`` lets those
updates through and still keeps ``FOR UPDATE SKIP LOCKED`` (the abandoned-job test) out.

Stages: ``queued`` → ``reading`` (rows read of rows expected) → ``computing`` →
``recording`` → ``finished``. ``percent``: reading runs from 0 to 90 by rows read over
rows expected (at most 89 while reading: the expectation is an estimate), computing is 90,
recording 95, finished 100. ``rows_expected`` is counted before reading: lines of a CSV
less its header, a worksheet's declared dimension less its header, ``Child`` elements of
a CIN census; empty when it cannot be told (then ``percent`` is empty while reading).
"""

from __future__ import annotations

import asyncio
import re
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.kpis.imports import repository
from shared.logs import get_logger

log = get_logger(__name__)

STAGES = ("queued", "reading", "computing", "recording", "finished")
FINISHED = "finished"
READING_SHARE = 90
STAGE_PERCENT = {"computing": 90, "recording": 95, FINISHED: 100}
BLOCK = 1 << 20
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+(?::[A-Z]+(\d+))?"')
_CHILD = re.compile(rb"<Child[\s>]")
_ROW = re.compile(rb"<row[\s>]")


def percent(stage: str, rows_read: int, rows_expected: int | None) -> int | None:
    if stage in STAGE_PERCENT:
        return STAGE_PERCENT[stage]
    if stage == "queued":
        return 0
    if not rows_expected:
        return None
    return min(READING_SHARE - 1, rows_read * READING_SHARE // rows_expected)


def _count(handle: BinaryIO, pattern: bytes) -> int:
    found, tail = 0, b""
    while block := handle.read(BLOCK):
        found += block.count(pattern)
        tail = block[-1:]
    return found + (1 if tail and pattern == b"\n" and tail != b"\n" else 0)


def _xml_children(handle: BinaryIO) -> int:
    found, carry = 0, b""
    while block := handle.read(BLOCK):
        data = carry + block
        found += len(_CHILD.findall(data))
        carry = data[-6:]  # shorter than a match: none is counted twice
    return found


def _expected_in(name: str, handle: BinaryIO) -> int:
    head = handle.read(512)
    handle.seek(0)
    lowered = name.lower()
    if lowered.endswith(".xml") or head.lstrip().startswith(b"<"):
        return _xml_children(handle)
    return max(_count(handle, b"\n") - 1, 0)  # a CSV: lines less its header


def _sheet_rows(sheet: BinaryIO) -> int:
    """A worksheet's rows: its declared dimension, else its ``<row`` elements counted."""
    head = sheet.read(4096)
    match = _DIMENSION.search(head)
    if match and match.group(1):
        return int(match.group(1))
    found, data = 0, head
    while data:
        found += len(_ROW.findall(data))
        tail = data[-4:]
        data = sheet.read(BLOCK)
        data = tail + data if data else b""
    return found


def _workbook_rows(archive: zipfile.ZipFile) -> int:
    rows = 0
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            with archive.open(info) as sheet:
                rows += max(_sheet_rows(sheet) - 1, 0)  # type: ignore[arg-type]
    return rows


def expected_rows(paths: Iterable[Path]) -> int | None:
    """Rows the files hold, counted before reading (see the module's note); ``None`` when
    a file cannot be opened (its reader will say so)."""
    total = 0
    try:
        for path in paths:
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    if "[Content_Types].xml" in archive.namelist():
                        total += _workbook_rows(archive)
                        continue
                    for info in archive.infolist():
                        if info.is_dir():
                            continue
                        with archive.open(info) as member:
                            total += _expected_in(info.filename, member)  # type: ignore[arg-type]
                continue
            with path.open("rb") as handle:
                total += _expected_in(path.name, handle)
    except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError):
        return None
    return total


def engine_of(maker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    bind = maker.kw.get("bind")
    return bind if isinstance(bind, AsyncEngine) else bind.engine  # type: ignore[union-attr]


class ProgressWriter:
    """Writes a job's progress in short transactions of its own: at each stage at once,
    and the rows read at most every ``interval_s`` (the pipeline reports them from its
    threads through :meth:`rows`)."""

    def __init__(self, engine: AsyncEngine, job_id: uuid.UUID, interval_s: float) -> None:
        self.maker = async_sessionmaker(engine, expire_on_commit=False)
        self.job_id = job_id
        self.interval_s = interval_s
        self.stage_name = "reading"
        self.rows_read = 0
        self.rows_expected: int | None = None
        self._written: tuple[str, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()
        self._lock = asyncio.Lock()

    def rows(self, count: int) -> None:
        """The pipeline's progress callback (any thread): rows read so far."""
        self.rows_read = count

    async def start(self, rows_expected: int | None) -> None:
        self.rows_expected = rows_expected
        await self.write()
        self._task = asyncio.create_task(self._every_interval())

    async def stage(self, name: str) -> None:
        self.stage_name = name
        await self.write()

    async def stop(self) -> None:
        """Stop writing (before the runner writes the job's end itself). Idempotent."""
        self._stopped.set()
        task, self._task = self._task, None
        if task is not None:
            await task  # a write under way ends before the runner writes its own

    async def _every_interval(self) -> None:
        while not self._stopped.is_set():
            try:
                await asyncio.wait_for(self._stopped.wait(), self.interval_s)
            except TimeoutError:
                await self.write()

    async def write(self) -> None:
        now = (self.stage_name, self.rows_read)
        if now == self._written:
            return
        async with self._lock:
            try:
                async with self.maker.begin() as session:
                    await repository.write_progress(
                        session,
                        self.job_id,
                        stage=self.stage_name,
                        rows_read=self.rows_read,
                        rows_expected=self.rows_expected,
                        percent=percent(self.stage_name, self.rows_read, self.rows_expected),
                    )
                self._written = now
            except Exception as exc:  # progress is for people watching: never fail the import
                log.warning(
                    "import.progress_not_written",
                    import_id=str(self.job_id),
                    error_type=type(exc).__name__,
                )
