"""The rules of imports: who may import, the same file twice, running a job to its end."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kpis import access
from services.kpis.events import emit
from services.kpis.imports import (
    annex_a_flows,
    caseloads,
    cin_compute,
    cin_pipeline,
    intake,
    pipeline,
    progress,
    repository,
    schemas,
    ssda903_measures,
    uploads,
)
from services.kpis.imports.compute import NOT_CATALOGUED, Scope, compute, worker_teams
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.models import ImportJob
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.schemas import ImportValueRead
from shared.clock import utc_now, utc_today
from shared.identity import Caller
from shared.logs import get_logger
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import DomainError, Forbidden, NotFound, conflict, invalid

#: the purpose every import event names in the trail
IMPORT_PURPOSE = "case-management import"

log = get_logger(__name__)

#: as the gateway grants ``kpis:import`` (services/gateway/policy.py)
IMPORTING_ROLES = ("approver", "plan_manager", "admin")
IMPORT_AGENCY = "council"
JOB_STATEMENT_TIMEOUT_S = 600
#: a zip archive's files may weigh this many times the largest upload (CSVs compress well)
UNZIPPED_FACTOR = 10
#: files in one upload (several SSDA903 years: eight or so files a year; or send a zip)
MAX_FILES = 60
#: the runner holds its job's row with this lock for the whole run (see progress.py)
RUNNER_LOCK = {"read": True, "key_share": True}
TERMINAL = frozenset({"succeeded", "rejected", "failed", "withdrawn"})


def may_import(caller: Caller) -> bool:
    if caller.agency != IMPORT_AGENCY:
        return False
    if caller.kind == "client":
        return caller.has_scope("kpis:import", "admin")
    return caller.has_role(*IMPORTING_ROLES)


def require_importer(caller: Caller) -> None:
    if not may_import(caller):
        raise Forbidden("imports are made by council approvers, plan managers or importers")


async def job_for(session: AsyncSession, caller: Caller, job_id: uuid.UUID) -> ImportJob:
    job = await repository.get_job(session, job_id, caller.agency)
    if job is None:
        raise NotFound("no such import")
    return job


ContentTooLarge = uploads.ContentTooLarge


#: the fields ``?sort=`` of the imports and of an import's values allow
JOB_SORT = tuple(repository.JOB_SORT)
VALUE_SORT = tuple(repository.VALUE_SORT)


async def list_jobs(
    session: AsyncSession, caller: Caller, sort: list[SortKey], limit: int, offset: int
) -> tuple[Sequence[ImportJob], int]:
    return await repository.list_jobs(session, caller.agency, sort, limit, offset)


async def values_for(
    session: AsyncSession,
    caller: Caller,
    job_id: uuid.UUID,
    purpose: str | None,
    sort: list[SortKey],
    page: PageParams,
) -> Page[ImportValueRead]:
    """One page of an import's values as the caller may see them: worker-level (staff)
    values only by the one rule for staff-level figures (council manager, stated purpose,
    recorded)."""
    job = await job_for(session, caller, job_id)
    workers = False
    if purpose is not None:
        workers = await access.worker_access(
            session, caller, purpose, f"import:{job.id}", {"import_id": str(job.id)}
        )
    rows, total = await repository.values_of(session, job.id, sort, page, workers=workers)
    return page_of([ImportValueRead.of(v) for v in rows], total, page)


@dataclass(frozen=True)
class NewJob:
    kind: str
    partial: bool
    collection_year: int | None
    population: int | None


def upload_key(new: NewJob, sha256: str) -> str:
    """What makes two uploads the same import: the files (``sha256``: the kind and the
    files' digests) and the settings the figures depend on. The same files with another
    ``collection_year``, ``population`` or ``partial`` are another import. Without
    settings the key is the files' digest alone (as before the settings counted)."""
    if new.collection_year is None and new.population is None and not new.partial:
        return sha256
    settings = f"{sha256}|year={new.collection_year}|population={new.population}"
    return hashlib.sha256(f"{settings}|partial={new.partial}".encode()).hexdigest()


async def open_job(
    session: AsyncSession, caller: Caller, new: NewJob, sha256: str
) -> tuple[ImportJob, bool]:
    """The job for this upload and whether it is new (``False``: the same upload again)."""
    sha256 = upload_key(new, sha256)
    existing = await repository.find_applied(session, sha256, caller.agency)
    if existing is not None and await _abandoned(session, existing):
        existing = None
    if existing is not None:
        log.info("import.duplicate", import_id=str(existing.id))
        return existing, False
    job = ImportJob(
        id=uuid.uuid4(),
        kind=new.kind,
        status="queued",
        file_sha256=sha256,
        partial=new.partial,
        collection_year=new.collection_year,
        population=new.population,
        agency=caller.agency,
        created_by=caller.subject[:200],
        report={},
    )
    await repository.add_job(session, job)
    await emit(
        session,
        caller,
        "import.queued",
        "import",
        job.id,
        {"kind": job.kind, "partial": job.partial},
        IMPORT_PURPOSE,
    )
    log.info("import.queued", import_id=str(job.id), kind=job.kind)
    return job, True


#: a job younger than this is never judged abandoned (its runner may be about to lock it)
RUNNING_GRACE_S = 5.0
#: a job still queued after this lost the process that was to run it
QUEUED_GRACE_S = 120.0
INTERRUPTED = "the import was interrupted (the service stopped); nothing was stored"


async def _abandoned(session: AsyncSession, job: ImportJob) -> bool:
    """A queued or running job whose process is gone ends as failed, so the same file can
    be imported again (otherwise it would be reported as under way for ever)."""
    if job.status == "succeeded":
        return False
    if not await repository.claim_if_abandoned(session, job, RUNNING_GRACE_S, QUEUED_GRACE_S):
        return False
    job.status = "failed"
    _ended(job)
    job.error_count, job.warning_count = 1, 0
    job.report = {
        "error_count": 1,
        "warning_count": 0,
        "errors": [{"sheet": None, "row": None, "column": None, "reason": INTERRUPTED}],
        "warnings": [],
    }
    await session.flush()
    log.warning("import.abandoned", import_id=str(job.id))
    return True


async def fail_interrupted(maker: async_sessionmaker[AsyncSession]) -> int:
    """At start-up: end as failed every queued or running job whose process is gone, so
    an import killed midway does not show ``running`` for ever. The same test as a retry
    of the file (:func:`_abandoned`): a live runner, on any replica, holds its job's row
    lock for the whole run, so only jobs whose row can be locked, and that are past the
    grace a starting runner needs, are ended; other replicas' imports under way stay."""
    async with maker() as session:
        ended = 0
        for job in await repository.unfinished_jobs(session):
            if await _abandoned(session, job):
                await _event(session, job, None, "import.failed")
                ended += 1
        await session.commit()
    if ended:
        log.warning("imports.interrupted_jobs_failed", jobs=ended)
    return ended


def _months(outcome: pipeline.Outcome, kind: str, year: int) -> tuple[date, date, date]:
    """First month, last month and reference date the indicators of collection year
    ``year`` cover: SSDA903, the whole year (April to March, 31 March); Annex A, every
    month of the year the export covers (its first to its last dated event, within April
    to March; an event after 31 March is outside the year, and reported)."""
    start, end = date(year, 4, 1), date(year + 1, 3, 31)
    if kind in ("ssda903", cin_pipeline.KIND):
        return start, end.replace(day=1), end
    last_event = min(outcome.last_event or end, end)
    first_event = max(outcome.first_event or start, start)
    return first_event.replace(day=1), last_event.replace(day=1), last_event


async def execute(
    maker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    uploads: list[pipeline.Upload],
    settings: ImportSettings,
    caller: Caller,
) -> None:
    """Run a queued job to its end. Never raises: failures end in the job's status.
    Its progress goes on the job row as it moves (``progress.ProgressWriter``)."""
    pseudonymiser = Pseudonymiser.from_settings(settings)
    writer = progress.ProgressWriter(
        progress.engine_of(maker), job_id, settings.progress_interval_s
    )
    expected = await asyncio.to_thread(progress.expected_rows, [u.path for u in uploads])
    async with maker() as session:
        job = await session.get(ImportJob, job_id)
        if job is None:  # pragma: no cover - the caller has just created it
            return
        job.status, job.stage, job.percent = "running", "reading", 0
        job.rows_expected, job.updated_at = expected, utc_now()
        await session.commit()
        try:
            await writer.start(expected)
            await _execute(session, job_id, uploads, settings, pseudonymiser, caller, writer)
        except Exception as exc:
            await writer.stop()
            await session.rollback()
            log.error("import.failed", import_id=str(job_id), error_type=type(exc).__name__)
            failed = await session.get(ImportJob, job_id)
            if failed is not None:
                failed.status = "failed"
                _ended(failed)
                failed.report = {
                    "error_count": 1,
                    "warning_count": 0,
                    "errors": [
                        {
                            "sheet": None,
                            "row": None,
                            "column": None,
                            "reason": "the import failed unexpectedly; nothing was stored",
                        }
                    ],
                    "warnings": [],
                }
                await session.commit()
        finally:
            await writer.stop()
            if not settings.keep_raw_uploads:
                for upload in uploads:
                    upload.path.unlink(missing_ok=True)
                _remove_empty(uploads)


def _remove_empty(uploads: list[pipeline.Upload]) -> None:
    for folder in {u.path.parent for u in uploads}:
        if folder.exists() and not any(folder.iterdir()):
            shutil.rmtree(folder, ignore_errors=True)


async def _execute(
    session: AsyncSession,
    job_id: uuid.UUID,
    uploads: list[pipeline.Upload],
    settings: ImportSettings,
    pseudonymiser: Pseudonymiser,
    caller: Caller,
    writer: progress.ProgressWriter,
) -> None:
    # a job's statements (COPY of a block, the indicator queries over a million rows) may
    # outlast the request-sized default timeout; this transaction only
    await repository.job_statement_timeout(session, JOB_STATEMENT_TIMEOUT_S)
    # the row lock, held to the end of the run, tells a retry that this job is alive; a
    # key-share lock, so the progress writer's updates (other connections) pass it
    job = await session.get(ImportJob, job_id, with_for_update=RUNNER_LOCK, populate_existing=True)
    assert job is not None
    kind, partial, year, population = job.kind, job.partial, job.collection_year, job.population

    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    outcome = await _read_and_load(
        session,
        import_id=job_id,
        kind=kind,
        uploads=uploads,
        pseudonymiser=pseudonymiser,
        partial=partial,
        collection_year=year,
        chunk_rows=settings.read_chunk_rows,
        chunk_bytes=settings.read_chunk_bytes,
        progress=writer.rows,
        max_unzipped_bytes=settings.max_upload_bytes * UNZIPPED_FACTOR,
    )
    report: dict[str, Any] = {**outcome.issues.as_report(), "lists": outcome.lists}
    if outcome.rejected and (not partial or outcome.structural):
        await writer.stop()
        await _reject(session, job_id, outcome, report, caller)
        return
    lap("read_validate_load")
    await writer.stage("computing")
    timings.update({f"load.{k}": v for k, v in outcome.timings.items()})
    values: list[Any] = []
    periods: dict[str, dict[str, str]] = {}
    for computed in _years_computed(outcome, kind):
        first, last, reference = _months(outcome, kind, computed)
        scope = Scope(
            import_id=job_id,
            authority=settings.authority_code,
            first_month=first,
            last_month=last,
            reference_date=reference,
            collection_year=computed,
            population=population,
            year_filter=computed if kind == "ssda903" else None,
        )
        if kind == cin_pipeline.KIND:
            values += await compute(session, scope, cin_compute.FLOWS)
            values += await cin_compute.extras(session, scope)
        else:
            flows = annex_a_flows.FLOWS if kind == "annex_a" else ()
            values += await compute(session, scope, flows)
        if kind == "ssda903":
            # children the long-term stability measure cannot place: counted in the report
            unplaced = report.setdefault("placement_stability_lt_unplaced", {})
            values += await ssda903_measures.extras(session, scope, unplaced)
        values += await caseloads.extras(session, scope)  # none without allocated workers
        periods[_year_label(computed)] = {
            "first_month": first.isoformat(),
            "last_month": last.isoformat(),
        }
    if kind == "annex_a" and outcome.collection_year is not None:
        _report_outside(outcome, report, outcome.collection_year)
    elif kind == "ssda903":
        report["episodes_in_several_years"] = await repository.episodes_in_several_years(
            session, job_id
        )
    await repository.save_values(session, job_id, values)
    lap("indicators")
    kept = NOT_CATALOGUED | cin_compute.NOT_CATALOGUED
    handed = [v for v in values if v.indicator_code not in kept]
    await writer.stage("recording")
    try:
        recorded = await intake.hand_over(
            session,
            values=handed,
            import_id=job_id,
            actor=caller,
            source_kind=kind,
            worker_teams=await worker_teams(session, job_id),
        )
    except DomainError as exc:
        _refused(outcome, handed, exc)
        report = {**outcome.issues.as_report(), "lists": outcome.lists}
        await writer.stop()
        await _reject(session, job_id, outcome, report, caller)
        return
    await writer.stop()
    job.status = "succeeded"
    job.rows_read = outcome.rows_read
    job.rows_stored = outcome.rows_stored
    job.values_count = len(values)
    job.collection_year = outcome.collection_year if len(periods) == 1 else None
    report["values_recorded"] = recorded
    # rows that could not be placed (no child id, no usable date, a repeat): left out, counted
    report["rows_dropped"] = outcome.rows_read - outcome.rows_stored
    lap("values_hand_over")
    report["timings_s"] = timings
    report["collection_years"] = periods
    if len(periods) == 1:
        report["period"] = next(iter(periods.values()))
    _finish(job, outcome, report)
    await _event(session, job, caller, "import.succeeded")
    await session.commit()
    log.info(
        "import.succeeded", import_id=str(job_id), rows=outcome.rows_stored, values=len(values)
    )


async def _read_and_load(session: AsyncSession, **args: Any) -> pipeline.Outcome:
    """The pipeline of the import's kind (the CIN census XML has its own)."""
    if args["kind"] != cin_pipeline.KIND:
        return await pipeline.run(session, **args)
    return await cin_pipeline.run(
        session,
        import_id=args["import_id"],
        uploads=args["uploads"],
        pseudonymiser=args["pseudonymiser"],
        partial=args["partial"],
        collection_year=args["collection_year"],
        progress=args["progress"],
    )


def _years_computed(outcome: pipeline.Outcome, kind: str) -> list[int]:
    """The collection years an import computes: an SSDA903 upload's, each on its own."""
    if kind == "ssda903" and outcome.years:
        return outcome.years
    return [outcome.collection_year or utc_today().year]


def _year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _report_outside(outcome: pipeline.Outcome, report: dict[str, Any], year: int) -> None:
    """Rows outside the collection year: counted in no month, listed by list and reason
    (in ``outside_year`` and as warnings, which the issue counts include)."""
    outside = pipeline.outside_year(outcome, year)
    report["outside_year"] = outside
    for item in outside:
        reason = f"{item['count']} rows {item['reason']} ({_year_label(year)}): not counted"
        outcome.issues.add("warning", str(item["list"]), None, None, reason)
    report.update(outcome.issues.as_report())


def _refused(outcome: pipeline.Outcome, handed: list[Any], exc: DomainError) -> None:
    """The values domain's refusal, as errors of the report (each value it named)."""
    issues = outcome.issues
    issues.add("error", "(values)", None, None, f"the KPI values refused the import: {exc.detail}")
    for item in exc.extensions.get("errors") or []:
        index = item.get("index") if isinstance(item, dict) else None
        if isinstance(index, int) and 0 <= index < len(handed):
            value = handed[index]
            where = f"{value.indicator_code} {value.period_type} {value.period_end} "
            reason = f"{where}{value.org_unit_code}: {item.get('field')} {item.get('message')}"
            issues.add("error", "(values)", None, None, reason)
    for label in exc.extensions.get("locked") or []:
        issues.add("error", "(values)", None, None, f"locked: {label}")


async def _reject(
    session: AsyncSession,
    job_id: uuid.UUID,
    outcome: pipeline.Outcome,
    report: dict[str, Any],
    caller: Caller,
) -> None:
    await session.rollback()
    job = await session.get(ImportJob, job_id)
    assert job is not None
    job.status = "rejected"
    job.rows_read = outcome.rows_read
    job.rows_stored = 0
    report["lists"] = {}
    _finish(job, outcome, report)
    await _event(session, job, caller, "import.rejected")
    await session.commit()
    log.info("import.rejected", import_id=str(job_id), errors=outcome.issues.error_count)


def _finish(job: ImportJob, outcome: pipeline.Outcome, report: dict[str, Any]) -> None:
    job.error_count = outcome.issues.error_count
    job.warning_count = outcome.issues.warning_count
    job.report = report
    _ended(job)


def _ended(job: ImportJob) -> None:
    """The job's end on its row: finished, 100 %."""
    job.finished_at = job.updated_at = utc_now()
    job.stage, job.percent = progress.FINISHED, 100


async def _event(session: AsyncSession, job: ImportJob, caller: Caller | None, kind: str) -> None:
    """The job's end in the trail: by its caller, or by the system (``None``) when an
    interrupted job is ended at start-up."""
    await emit(
        session,
        caller,
        kind,
        "import",
        job.id,
        {
            "kind": job.kind,
            "status": job.status,
            "rows_stored": job.rows_stored,
            "errors": job.error_count,
            "values": job.values_count,
        },
        IMPORT_PURPOSE,
    )


WITHDRAWABLE = "succeeded"


async def withdraw(
    session: AsyncSession, caller: Caller, job_id: uuid.UUID, reason: str
) -> ImportJob:
    """Withdraw an applied import: its values leave the current values (the earlier ones
    come back), its job, rows and computed values stay as history, the trail records it.
    Its files may then be imported again (the duplicate check skips withdrawn imports).

    Four eyes, as for approving values: an import that changed the current figures is
    withdrawn by another importer than the one who ran it."""
    require_importer(caller)
    job = await repository.get_job(session, job_id, caller.agency, lock=True)
    if job is None:
        raise NotFound("no such import")
    if job.created_by == caller.subject[:200]:
        raise Forbidden("four eyes: another importer withdraws an import you ran")
    if job.status != WITHDRAWABLE:
        raise conflict(
            "status",
            f"only a succeeded import can be withdrawn (this one is {job.status})",
            "not_withdrawable",
        )
    withdrawn = await repository.withdrawn_ids(session, caller.agency)
    counts = await intake.withdraw(session, import_id=job.id, withdrawn=withdrawn, actor=caller)
    job.status = "withdrawn"
    job.report = {
        **(job.report or {}),
        "withdrawal": {
            "at": utc_now().isoformat(),
            "by": caller.subject[:200],
            "reason": reason[:1000],
            "values_withdrawn": None if counts is None else counts["withdrawn"],
            "values_restored": None if counts is None else counts["restored"],
        },
    }
    await session.flush()
    await emit(
        session,
        caller,
        "import.withdrawn",
        "import",
        job.id,
        {"kind": job.kind, "status": job.status, **(counts or {})},
        IMPORT_PURPOSE,
    )
    log.info("import.withdrawn", import_id=str(job.id))
    return job


async def receive_upload(
    session: AsyncSession,
    caller: Caller,
    files: Sequence[uploads.Incoming],
    new: NewJob,
    settings: ImportSettings,
) -> tuple[ImportJob, bool, list[pipeline.Upload]]:
    """An upload taken in: who may, how many files, saved within the size limit, gzip and
    zip opened and bombs refused (``uploads``), then its job (``False``: the same upload
    again, nothing kept). Returns the files the runner reads."""
    require_importer(caller)
    if not 1 <= len(files) <= MAX_FILES:
        raise invalid("files", f"send between 1 and {MAX_FILES} files", "count")
    saved, sha256 = await uploads.save(list(files), settings, new.kind)
    try:
        # inflating a workbook or a gzip file to measure it takes a while: off the loop
        ready = await asyncio.to_thread(uploads.unpack, saved, settings, new.kind)
    except DomainError:
        uploads.discard_folder(saved)
        raise
    job, created = await open_job(session, caller, new, sha256)
    if not created:
        uploads.discard_folder(ready)
    return job, created, ready


def _event_text(number: int, name: str, data: str) -> str:
    return f"id: {number}\nevent: {name}\ndata: {data}\n\n"


async def follow(
    maker: async_sessionmaker[AsyncSession],
    caller: Caller,
    job_id: uuid.UUID,
    settings: ImportSettings,
) -> AsyncIterator[str]:
    """Server-sent events of an import (the caller's agency's; 404 before the stream
    begins otherwise): the job's progress now, then an event at each change of its
    status, stage or rows, and a final ``end`` event when it has ended. A comment every
    ``events_heartbeat_s`` keeps quiet connections (and the gateway's read timeout)
    alive; after ``events_max_s`` the stream closes (an ``EventSource`` reconnects).
    Each look is a short session of its own: any replica follows any replica's job."""
    async with maker() as session:
        await job_for(session, caller, job_id)
    return _events(maker, caller.agency, job_id, settings)


async def _events(
    maker: async_sessionmaker[AsyncSession],
    agency: str,
    job_id: uuid.UUID,
    settings: ImportSettings,
) -> AsyncIterator[str]:
    yield f"retry: {int(settings.events_poll_s * 1000) + 1000}\n\n"
    last: dict[str, Any] | None = None
    number = 0
    loop = asyncio.get_running_loop()
    started = quiet_since = loop.time()
    while True:
        async with maker() as session:
            job = await repository.get_job(session, job_id, agency)
        if job is None:  # pragma: no cover - jobs are never deleted
            return
        state = schemas.ImportProgressEvent.of(job)
        if last is None or state.model_dump(exclude={"updated_at"}) != last:
            last = state.model_dump(exclude={"updated_at"})
            number += 1
            ended = job.status in TERMINAL
            yield _event_text(number, "end" if ended else "progress", state.model_dump_json())
            if ended:
                return
            quiet_since = loop.time()
        elif loop.time() - quiet_since >= settings.events_heartbeat_s:
            yield ": keep-alive\n\n"
            quiet_since = loop.time()
        if loop.time() - started >= settings.events_max_s:
            return
        await asyncio.sleep(settings.events_poll_s)


def upload_folder(settings: ImportSettings, job_key: str) -> Path:
    folder = settings.upload_dir / job_key
    folder.mkdir(parents=True, exist_ok=True)
    return folder
