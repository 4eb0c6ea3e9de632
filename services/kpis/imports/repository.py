"""All SQL about import jobs and their computed values (the child rows: ``store.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.db import SCHEMA
from services.kpis.imports.models import ImportJob, ImportValue
from services.kpis.imports.pseudonymise import STAFF_CODE_PATTERN
from services.kpis.imports.store import driver_connection
from shared.pagination import PageParams, SortKey, order_by, page_scalars

ACTIVE = ("queued", "running", "succeeded")


async def find_applied(session: AsyncSession, sha256: str, agency: str) -> ImportJob | None:
    """A job of the same file (by hash) that is applied or under way."""
    found = await session.execute(
        select(ImportJob)
        .where(
            ImportJob.file_sha256 == sha256,
            ImportJob.agency == agency,
            ImportJob.status.in_(ACTIVE),
        )
        .order_by(ImportJob.created_at)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def claim_if_abandoned(
    session: AsyncSession, job: ImportJob, running_grace_s: float, queued_grace_s: float
) -> bool:
    """Lock ``job`` if nobody runs it any more: its runner holds the row lock for the whole
    run, so a ``running`` job whose row can be locked lost its process (killed, crashed).
    Young jobs are left alone (the runner takes the lock just after marking it running)."""
    grace = running_grace_s if job.status == "running" else queued_grace_s
    found = await session.execute(
        select(ImportJob.id)
        .where(
            ImportJob.id == job.id,
            ImportJob.status.in_(("queued", "running")),
            ImportJob.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, grace),
        )
        .with_for_update(skip_locked=True)
    )
    return found.scalar_one_or_none() is not None


async def unfinished_jobs(session: AsyncSession) -> Sequence[ImportJob]:
    """Jobs still marked queued or running (any replica's)."""
    found = await session.execute(
        select(ImportJob)
        .where(ImportJob.status.in_(("queued", "running")))
        .order_by(ImportJob.created_at)
    )
    return found.scalars().all()


async def add_job(session: AsyncSession, job: ImportJob) -> ImportJob:
    session.add(job)
    await session.flush()
    return job


async def get_job(
    session: AsyncSession, job_id: uuid.UUID, agency: str, *, lock: bool = False
) -> ImportJob | None:
    query = select(ImportJob).where(ImportJob.id == job_id, ImportJob.agency == agency)
    if lock:
        query = query.with_for_update()
    found = await session.execute(query)
    return found.scalar_one_or_none()


#: field → column for ``?sort=`` of the imports and of an import's values (ties broken by
#: the id)
JOB_SORT = {
    "created_at": ImportJob.created_at,
    "finished_at": ImportJob.finished_at,
    "kind": ImportJob.kind,
    "status": ImportJob.status,
    "collection_year": ImportJob.collection_year,
}
VALUE_SORT = {
    "indicator_code": ImportValue.indicator_code,
    "period_type": ImportValue.period_type,
    "period_start": ImportValue.period_start,
    "period_end": ImportValue.period_end,
    "org_unit_code": ImportValue.org_unit_code,
    "value": ImportValue.value,
}


async def list_jobs(
    session: AsyncSession, agency: str, sort: list[SortKey], limit: int, offset: int
) -> tuple[Sequence[ImportJob], int]:
    where = ImportJob.agency == agency
    total = await session.scalar(select(func.count()).select_from(ImportJob).where(where))
    rows = await session.execute(
        select(ImportJob)
        .where(where)
        .order_by(*order_by(sort, JOB_SORT, ImportJob.id))
        .limit(limit)
        .offset(offset)
    )
    return rows.scalars().all(), int(total or 0)


async def write_progress(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    stage: str,
    rows_read: int,
    rows_expected: int | None,
    percent: int | None,
) -> None:
    """A running job's progress (its own short transaction; the runner holds the row
    ``FOR KEY SHARE``, which lets this through)."""
    await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.finished_at.is_(None))
        .values(
            stage=stage,
            rows_read=rows_read,
            rows_expected=rows_expected,
            percent=percent,
            updated_at=func.now(),
        )
    )


async def save_values(
    session: AsyncSession, import_id: uuid.UUID, values: Sequence[ComputedValue]
) -> int:
    """``COPY`` the computed values into ``import_value``."""
    if not values:
        return 0
    driver = await driver_connection(session)
    columns = (
        "import_id",
        "indicator_code",
        "period_type",
        "period_start",
        "period_end",
        "org_unit_code",
        "value",
        "numerator",
        "denominator",
    )
    records = [
        (
            import_id,
            v.indicator_code,
            v.period_type,
            v.period_start,
            v.period_end,
            v.org_unit_code,
            v.value,
            v.numerator,
            v.denominator,
        )
        for v in values
    ]
    await driver.copy_records_to_table(
        ImportValue.__tablename__, records=records, columns=columns, schema_name=SCHEMA
    )
    return len(records)


async def values_of(
    session: AsyncSession,
    import_id: uuid.UUID,
    sort: list[SortKey],
    page: PageParams,
    *,
    workers: bool,
) -> tuple[list[ImportValue], int]:
    """One page of the import's values and how many there are; worker-level ones (staff
    codes) only when ``workers``."""
    query = select(ImportValue).where(ImportValue.import_id == import_id)
    if not workers:
        query = query.where(~ImportValue.org_unit_code.regexp_match(STAFF_CODE_PATTERN))
    return await page_scalars(
        session,
        query.order_by(*order_by(sort, VALUE_SORT, ImportValue.id)),
        page,
    )


async def withdrawn_ids(session: AsyncSession, agency: str) -> list[str]:
    found = await session.execute(
        select(ImportJob.id).where(ImportJob.agency == agency, ImportJob.status == "withdrawn")
    )
    return [str(i) for i in found.scalars().all()]


async def episodes_in_several_years(session: AsyncSession, import_id: uuid.UUID) -> int:
    """Episodes (child and start date) listed by the files of more than one collection
    year: the same episode, open across a 31 March, counted once in each year it is
    open in (each year is computed from its own files)."""
    found = await session.execute(
        text(
            f"SELECT count(*) FROM (SELECT 1 FROM {SCHEMA}.cm_cla_episode "  # noqa: S608
            "WHERE import_id = :import_id GROUP BY child, start_date "
            "HAVING count(DISTINCT collection_year) > 1) AS repeated"
        ),
        {"import_id": import_id},
    )
    return int(found.scalar() or 0)


async def job_statement_timeout(session: AsyncSession, seconds: int) -> None:
    """This transaction's statements may run ``seconds`` (a job's COPY of a block or an
    indicator query over a million rows outlasts the request-sized default)."""
    await session.execute(text(f"SET LOCAL statement_timeout = '{int(seconds)}s'"))
