"""One import from files on disk to stored rows: read, normalise, validate, ``COPY``.

All-or-nothing by default: the caller rolls the transaction back when the outcome has
errors and the import was not partial. Structural problems (unreadable file, missing
column, empty sheet) always reject, partial or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.imports import codes as cl
from services.kpis.imports import specs as sp
from services.kpis.imports import unzip, years
from services.kpis.imports.folders import SPILL_PREFIX
from services.kpis.imports.normalise import (
    ChunkNormaliser,
    Issues,
    Prepared,
    child_and_date,
    match_columns,
    recognise,
)
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.readers import Sheet, UnreadableFile, read_any
from services.kpis.imports.rereferrals import flagged_rows, with_flags
from services.kpis.imports.spill import Spill, parts_for
from services.kpis.imports.store import (
    copy_rows,
    derive,
    release_savepoint,
    rollback_to_savepoint,
    savepoint,
    to_copy,
)
from shared.clock import utc_today

KINDS = ("annex_a", "ssda903", "cin_census")  # cin_census: cin_pipeline.py


@dataclass(frozen=True)
class Upload:
    path: Path
    name: str  # a display name for the report (sheet name for CSVs)


@dataclass
class Outcome:
    issues: Issues = field(default_factory=Issues)
    rows_read: int = 0
    rows_stored: int = 0
    lists: dict[str, int] = field(default_factory=dict)  # list name → rows stored
    first_event: date | None = None
    last_event: date | None = None
    latest_start: date | None = None  # of episodes: the fallback for the collection year
    collection_year: int | None = None
    #: SSDA903: the collection years the files hold (each computed on its own)
    years: list[int] = field(default_factory=list)
    #: (list label, date column) → first of month → rows stored dated in that month
    #: (Annex A: what falls outside the collection year is reported, see ``outside_year``)
    dated: dict[tuple[str, str], dict[date, int]] = field(default_factory=dict)
    structural: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    #: the issues of each list being loaded, merged into ``issues`` in file order at the end
    list_issues: list[Issues] = field(default_factory=list)

    def spent(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now - since, 3)
        return now

    @property
    def rejected(self) -> bool:
        return self.issues.error_count + sum(i.error_count for i in self.list_issues) > 0


@dataclass
class _Planned:
    sheet: Sheet
    spec: sp.ListSpec
    columns: dict[str, str]
    upload: str = ""  # the file's name (a zip member: its path in the archive)
    year: int | None = None  # SSDA903: the file's collection year


def _plan(
    kind: str, uploads: list[Upload], chunk_rows: int, chunk_bytes: int, outcome: Outcome
) -> list[_Planned]:
    specs = sp.ANNEX_A if kind == "annex_a" else sp.SSDA903
    ignored = sp.ANNEX_A_IGNORED if kind == "annex_a" else sp.SSDA903_IGNORED
    issues = outcome.issues
    planned: list[_Planned] = []
    for upload in uploads:
        try:
            sheets = read_any(upload.path, upload.name, chunk_rows, chunk_bytes)
        except UnreadableFile as exc:
            issues.add("error", upload.name, None, None, str(exc))
            outcome.structural = True
            continue
        for sheet in sheets:
            if not any(h.strip() for h in sheet.headers):
                issues.add("error", sheet.name, None, None, "the sheet is empty (no header row)")
                outcome.structural = True
                continue
            spec = recognise(specs, sheet.headers)
            if spec is None:
                keys = {sp.header_key(h) for h in sheet.headers}
                label = next(
                    (n for n, sig in ignored.items() if all(sp.header_key(s) in keys for s in sig)),
                    None,
                )
                reason = (
                    f"{label}: not used by the indicators, ignored"
                    if label
                    else "headers match no known list, ignored"
                )
                issues.add("warning", sheet.name, None, None, reason)
                continue
            columns, missing = match_columns(spec, sheet.headers)
            for fld in missing:
                issues.add("error", sheet.name, 1, fld.headers[0], f"missing column ({spec.label})")
                outcome.structural = True
            if not missing:
                planned.append(_Planned(sheet, spec, columns, upload.name))
    if not planned and not outcome.structural:
        issues.add("error", "(import)", None, None, "no list the indicators use was found")
        outcome.structural = True
    if kind == "ssda903" and not outcome.structural:
        _settle_file_years(planned, outcome)
    return planned


def _latest_start(item: _Planned) -> date | None:
    """The latest episode start (``DECOM``) of an episodes file: a pass over two columns."""
    child, start = item.columns["child"], item.columns["start_date"]
    wanted = [int(child[1:]), int(start[1:])]
    latest: date | None = None
    for chunk in item.sheet.chunks(columns=wanted):
        top = child_and_date(chunk, child, start).get_column("date").max()
        if isinstance(top, date):
            latest = max(top, latest or top)
    return latest


def _settle_file_years(planned: list[_Planned], outcome: Outcome) -> None:
    """Each SSDA903 file's collection year (``years.py``); a file whose year is
    contradictory or cannot be told rejects the import, naming the file."""
    files = [
        years.FileYear(
            item.upload or item.sheet.name,
            item.spec.name == "cla_episode",
            years.year_of_latest_start(_latest_start(item))
            if item.spec.name == "cla_episode"
            else None,
        )
        for item in planned
    ]
    problems = years.settle(files, outcome.collection_year)
    for name, reason in problems.messages:
        outcome.issues.add("error", name, None, None, reason)
        outcome.structural = True
    for item, found in zip(planned, files, strict=True):
        item.year = found.year
    outcome.years = sorted({f.year for f in files if f.year is not None})
    if outcome.collection_year is None and len(outcome.years) == 1:
        outcome.collection_year = outcome.years[0]


def _load_order(planned: list[_Planned]) -> list[int]:
    """The order lists are loaded in (indexes into ``planned``, which is in file order).

    Referrals after the other lists, so their first pass (the re-referral flags, started
    with the import) runs while other lists are loaded rather than holding up the
    referrals' own ``COPY``; care leavers last, as their activity codes depend on the
    collection year the other lists give."""
    rank = {"referral": 1, "care_leaver": 2}
    return sorted(range(len(planned)), key=lambda n: rank.get(planned[n].spec.name, 0))


def _stored(outcome: Outcome, list_name: str, rows: int) -> None:
    outcome.rows_stored += rows
    outcome.lists[list_name] = outcome.lists.get(list_name, 0) + rows


#: Annex A dates whose month places a row in (or outside) the collection year: list name →
#: (label in the report, date column, role). ``event``: a flow counted in its month;
#: ``start``/``end``: an episode, outside when it started after the year or ended before it
DATED: dict[str, tuple[tuple[str, str, str], ...]] = {
    "contact": (("contacts", "contact_date", "event"),),
    "early_help": (("early help assessments (start date)", "start_date", "event"),),
    "referral": (("referrals", "referral_date", "event"),),
    "assessment": (("assessments (authorisation date)", "authorised_date", "event"),),
    "s47": (
        ("section 47 enquiries (strategy discussion)", "s47_date", "event"),
        ("initial child protection conferences", "icpc_date", "event"),
    ),
    "cp_plan": (("child protection plans (start date)", "start_date", "event"),),
    "cin_episode": (
        ("children in need episodes", "start_date", "start"),
        ("children in need episodes", "end_date", "end"),
    ),
    "cla_episode": (
        ("children in care episodes", "start_date", "start"),
        ("children in care episodes", "end_date", "end"),
    ),
}


def _track_dates(outcome: Outcome, spec: sp.ListSpec, frame: pl.DataFrame) -> None:
    if not frame.height:
        return
    for _label, column, role in DATED.get(spec.name, ()):
        if column not in frame.columns:  # optional in some lists
            continue
        dates = frame[column]
        low, high = dates.min(), dates.max()
        if role == "event" and isinstance(low, date) and isinstance(high, date):
            # every dated event (an ICPC after the last strategy discussion too) sets
            # the span of months the export covers
            outcome.first_event = min(low, outcome.first_event or low)
            outcome.last_event = max(high, outcome.last_event or high)
        months = dates.drop_nulls().dt.month_start().value_counts()
        counts = outcome.dated.setdefault((spec.name, column), {})
        for month, n in months.iter_rows():
            counts[month] = counts.get(month, 0) + n
    if "start_date" in frame.columns:
        top = frame["start_date"].max()
        if isinstance(top, date):
            outcome.latest_start = max(top, outcome.latest_start or top)


def _next(iterator: Iterator[pl.DataFrame]) -> pl.DataFrame | None:
    return next(iterator, None)


#: blocks normalised at once: polars works outside the GIL, so two blocks use both cores
#: while PostgreSQL copies an earlier one (memory: about four blocks in flight in all)
PARALLEL_BLOCKS = 2
#: finished blocks that may wait for the re-referral flags while later ones are normalised
#: (a block is ~10 MB of frames: the bound keeps memory flat)
BLOCKS_AHEAD_OF_FLAGS = 3


def _encode(
    list_name: str,
    frame: pl.DataFrame,
    flags: pl.Series | None,
    import_id: uuid.UUID,
    year: int | None,
) -> tuple[pl.DataFrame, list[bytes]]:
    if flags is not None:
        frame = with_flags(frame, flags)
    if year is not None:  # SSDA903: the file's collection year, kept on each row
        frame = frame.with_columns(pl.lit(year, dtype=pl.Int32).alias("collection_year"))
    derived = derive(list_name, frame, import_id)
    return derived, to_copy(derived)


async def _load_list(
    session: AsyncSession,
    item: _Planned,
    normaliser: ChunkNormaliser,
    pending_flags: asyncio.Future[pl.Series] | None,
    import_id: uuid.UUID,
    partial: bool,
    outcome: Outcome,
    progress: Callable[[int], None] | None,
) -> int:
    """Read, normalise, check and ``COPY`` one list; returns its data rows.

    Pipelined: one thread reads block k+2 while two normalise blocks k and k+1 (the part
    of normalising that needs no other block), then block k is finished in file order
    (duplicates, re-referral flags, the binary ``COPY`` stream) and copied while the next
    ones are prepared. Memory stays that of the blocks in flight, whatever the file's size.
    The re-referral flags (``pending_flags``, worked out by a first pass over the list
    running meanwhile) are needed to encode a block: until they are ready, up to
    :data:`BLOCKS_AHEAD_OF_FLAGS` finished blocks wait for them while later ones are
    normalised (the first pass alone would leave a core idle).
    """
    name = item.spec.name
    chunks = item.sheet.chunks()
    data_rows = 0
    preparing: deque[asyncio.Future[Prepared]] = deque()
    waiting: deque[pl.DataFrame] = deque()  # finished, not yet encoded
    reading: asyncio.Future[pl.DataFrame | None] | None = asyncio.ensure_future(
        asyncio.to_thread(_next, chunks)
    )
    copying: asyncio.Task[int] | None = None
    try:
        clock = time.perf_counter()
        while True:
            while reading is not None and len(preparing) < PARALLEL_BLOCKS:
                chunk = await reading
                reading = None
                clock = outcome.spent("read", clock)
                if chunk is None:
                    break
                reading = asyncio.ensure_future(asyncio.to_thread(_next, chunks))
                data_rows += chunk.height
                preparing.append(
                    asyncio.ensure_future(asyncio.to_thread(normaliser.prepare, chunk))
                )
            flags_pending = pending_flags is not None and not pending_flags.done()
            ahead = flags_pending and len(waiting) < BLOCKS_AHEAD_OF_FLAGS
            if preparing and (not waiting or ahead):
                prepared = await preparing.popleft()
                result = await asyncio.to_thread(normaliser.finish, prepared)
                clock = outcome.spent("normalise", clock)
                outcome.rows_read += result.rows_read
                if progress is not None:
                    progress(outcome.rows_read)
                _track_dates(outcome, item.spec, result.frame)
                if not outcome.rejected or partial:
                    waiting.append(result.frame)
                # else: keep validating for the report; nothing will be kept
                continue
            if not waiting:
                break
            flags = None
            if pending_flags is not None:
                flags = await pending_flags
                clock = outcome.spent("rereferrals_wait", clock)
            derived, payload = await asyncio.to_thread(
                _encode, name, waiting.popleft(), flags, import_id, item.year
            )
            clock = outcome.spent("encode", clock)
            if copying is not None:
                _stored(outcome, name, await copying)
                clock = outcome.spent("copy_wait", clock)
            copying = asyncio.create_task(copy_rows(session, name, derived, payload))
        if copying is not None:
            _stored(outcome, name, await copying)
            clock = outcome.spent("copy_wait", clock)
    finally:
        # work in flight finishes before its file is let go; a failed COPY is abandoned
        # (the first pass, pending_flags, is run()'s to wait for)
        for pending in [reading, *preparing]:
            if pending is not None:
                with contextlib.suppress(Exception):
                    await pending
        if copying is not None and not copying.done():
            copying.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await copying
    return data_rows


async def run(
    session: AsyncSession,
    *,
    import_id: uuid.UUID,
    kind: str,
    uploads: list[Upload],
    pseudonymiser: Pseudonymiser,
    partial: bool,
    collection_year: int | None,
    chunk_rows: int,
    chunk_bytes: int = 8 << 20,
    progress: Callable[[int], None] | None = None,
    max_unzipped_bytes: int = 8_000_000_000,
) -> Outcome:
    outcome = Outcome(collection_year=collection_year)
    opened: list[unzip.Member] = []
    try:
        files = await asyncio.to_thread(_open_archives, uploads, max_unzipped_bytes, opened)
        if files is None:
            outcome.issues.add("error", "(import)", None, None, _too_many_files())
            outcome.structural = True
            return outcome
        for name, reason in _archive_problems(files):
            outcome.issues.add("error", name, None, None, reason)
            outcome.structural = True
        if outcome.structural:
            return outcome
        uploads = [f for f in files if isinstance(f, Upload)]
        return await _run(
            session,
            import_id=import_id,
            kind=kind,
            uploads=uploads,
            pseudonymiser=pseudonymiser,
            partial=partial,
            chunk_rows=chunk_rows,
            chunk_bytes=chunk_bytes,
            progress=progress,
            outcome=outcome,
        )
    finally:
        unzip.discard(opened)


#: the most files one import reads, zip archives opened (five years of SSDA903 files: 40)
MAX_FILES = 200


def _too_many_files() -> str:
    return f"more than {MAX_FILES} files in the upload (zip archives opened)"


@dataclass(frozen=True)
class _Unopened:
    name: str
    reason: str


def _open_archives(
    uploads: list[Upload], max_bytes: int, opened: list[unzip.Member]
) -> list[Upload | _Unopened] | None:
    """The upload's files, each zip archive replaced by its files (``opened`` collects
    them, to be deleted at the end); ``None`` when they are too many."""
    files: list[Upload | _Unopened] = []
    for upload in uploads:
        if not unzip.is_archive(upload.path):
            files.append(upload)
            continue
        try:
            members = unzip.expand(upload.path, upload.name, max_bytes)
        except unzip.BadArchive as exc:
            files.append(_Unopened(upload.name, str(exc)))
            continue
        opened.extend(members)
        files.extend(Upload(m.path, m.name) for m in members)
    return files if len(files) <= MAX_FILES else None


def _archive_problems(files: list[Upload | _Unopened]) -> list[tuple[str, str]]:
    return [(f.name, f.reason) for f in files if isinstance(f, _Unopened)]


async def _run(
    session: AsyncSession,
    *,
    import_id: uuid.UUID,
    kind: str,
    uploads: list[Upload],
    pseudonymiser: Pseudonymiser,
    partial: bool,
    chunk_rows: int,
    chunk_bytes: int,
    progress: Callable[[int], None] | None,
    outcome: Outcome,
) -> Outcome:
    planned = await asyncio.to_thread(_plan, kind, uploads, chunk_rows, chunk_bytes, outcome)
    if outcome.structural:
        return outcome
    # per-row state (duplicates, re-referral history) goes to disk beside the upload
    where = uploads[0].path.parent if uploads else None
    outcome.list_issues = [Issues() for _ in planned]
    with tempfile.TemporaryDirectory(prefix=SPILL_PREFIX, dir=where) as folder:
        spill_dir = Path(folder)
        first_passes = {
            number: asyncio.ensure_future(
                asyncio.to_thread(
                    flagged_rows, item.sheet, item.columns, spill_dir, f"referrals{number}"
                )
            )
            for number, item in enumerate(planned)
            if item.spec.name == "referral"
        }
        try:
            for number in _load_order(planned):
                item = planned[number]
                if item.spec.name == "care_leaver":
                    _settle_collection_year(outcome)
                load = _ListLoad(session, item, spill_dir, number, pseudonymiser, outcome)
                await load.run(import_id, partial, progress, first_passes.get(number))
        finally:
            # no first pass may still be writing when its folder goes
            for pending in first_passes.values():
                with contextlib.suppress(Exception):
                    await pending
    for issues in outcome.list_issues:
        outcome.issues.extend(issues)
    outcome.list_issues = []
    _settle_collection_year(outcome)
    return outcome


def _settle_collection_year(outcome: Outcome) -> None:
    """The collection year, when none was given: the one of the latest event read."""
    if outcome.collection_year is None:
        last = outcome.last_event or outcome.latest_start or utc_today()
        outcome.collection_year = cl.collection_year_of(last.year, last.month)


class _ListLoad:
    """One list: the pipelined load (referrals with the flags of their first pass), then
    the duplicates no block could see. A partial import that finds such duplicates loads
    the list again without them (from a savepoint: nothing of the first load is kept)."""

    def __init__(
        self,
        session: AsyncSession,
        item: _Planned,
        spill_dir: Path,
        number: int,
        pseudonymiser: Pseudonymiser,
        outcome: Outcome,
    ) -> None:
        self.session, self.item, self.spill_dir = session, item, spill_dir
        self.number, self.pseudonymiser, self.outcome = number, pseudonymiser, outcome

    def _normaliser(self, issues: Issues, excluded: pl.Series | None) -> ChunkNormaliser:
        sheet = self.item.sheet
        seen = Spill(self.spill_dir, f"rows{self.number}", parts_for(sheet.size), key="key")
        return ChunkNormaliser(
            self.item.spec,
            sheet.name,
            sheet.headers,
            self.item.columns,
            self.pseudonymiser,
            self.item.year if self.item.year is not None else self.outcome.collection_year,
            issues,
            seen,
            excluded,
        )

    async def run(
        self,
        import_id: uuid.UUID,
        partial: bool,
        progress: Callable[[int], None] | None,
        flags: asyncio.Future[pl.Series] | None,
    ) -> None:
        item, outcome, session = self.item, self.outcome, self.session
        issues = outcome.list_issues[self.number]
        before = (outcome.rows_read, outcome.rows_stored, dict(outcome.lists))
        if partial:
            await savepoint(session)
        normaliser = self._normaliser(issues, None)
        try:
            data_rows = await _load_list(
                session, item, normaliser, flags, import_id, partial, outcome, progress
            )
            clock = time.perf_counter()
            later = await asyncio.to_thread(normaliser.later_duplicates)
            outcome.spent("duplicates", clock)
        finally:
            normaliser.seen.close()
        if partial and later.len():
            # the first load stored rows that turned out to repeat earlier ones
            await rollback_to_savepoint(session)
            outcome.rows_read, outcome.rows_stored, outcome.lists = before
            again = self._normaliser(Issues(), later)  # issues are already reported
            try:
                await _load_list(session, item, again, flags, import_id, partial, outcome, progress)
            finally:
                again.seen.close()
        if partial:
            await release_savepoint(session)
        if data_rows == 0:
            issues.add("warning", item.sheet.name, None, None, "the list has no rows")


def outside_year(outcome: Outcome, year: int) -> list[dict[str, object]]:
    """Annex A rows stored but counted in no month of the collection year ``year``: how
    many, per list, and why (they stay stored: the look-back of the definitions uses them)."""
    first, last = date(year, 4, 1), date(year + 1, 3, 1)
    found: list[dict[str, object]] = []
    reasons = {
        "event": (
            f"before the collection year (dated before {first.isoformat()})",
            f"after the collection year (dated after {year + 1}-03-31)",
        ),
        "start": (None, f"started after the collection year (after {year + 1}-03-31)"),
        "end": (f"ended before the collection year (before {first.isoformat()})", None),
    }
    for list_name, entries in DATED.items():
        for label, column, role in entries:
            months = outcome.dated.get((list_name, column), {})
            before_reason, after_reason = reasons[role]
            for reason, count in (
                (before_reason, sum(n for m, n in months.items() if m < first)),
                (after_reason, sum(n for m, n in months.items() if m > last)),
            ):
                if reason is not None and count:
                    found.append({"list": label, "reason": reason, "count": count})
    return found
