"""Rules of targets and benchmarks: anyone reads them; council performance staff set targets."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.events import emit
from services.kpis.periods import Period, PeriodError
from services.kpis.reference import repository as repo
from services.kpis.reference.schemas import BenchmarkCreate, BenchmarkRead, TargetPut, TargetRead
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import Forbidden, invalid

#: the fields ``?sort=`` of each list allows
TARGET_SORT = tuple(repo.TARGET_SORT)
BENCHMARK_SORT = tuple(repo.BENCHMARK_SORT)


async def list_targets(
    session: AsyncSession, indicator: str | None, sort: list[SortKey], page: PageParams
) -> Page[TargetRead]:
    rows, total = await repo.list_targets(session, indicator, sort, page)
    return page_of([TargetRead.model_validate(r, from_attributes=True) for r in rows], total, page)


async def put_target(session: AsyncSession, caller: Caller, body: TargetPut) -> TargetRead:
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff set targets")
    await repo.upsert_target(session, body.model_dump())
    entity = f"{body.indicator_code}:{body.financial_year}"
    await emit(session, caller, "target.set", "target", entity, body.model_dump(mode="json"))
    return TargetRead(**body.model_dump())


async def list_benchmarks(
    session: AsyncSession,
    indicator: str | None,
    sort: list[SortKey],
    page: PageParams,
    comparator: str | None = None,
    *,
    all_versions: bool = False,
) -> Page[BenchmarkRead]:
    """The latest version of each figure, or every version (oldest first) when asked."""
    rows, total = await repo.list_benchmarks(
        session, indicator, sort, page, comparator, all_versions=all_versions
    )
    items = [BenchmarkRead.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, total, page)


async def add_benchmark(
    session: AsyncSession, caller: Caller, body: BenchmarkCreate
) -> BenchmarkRead:
    """A new version of a benchmark figure (council performance staff); older versions stay."""
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff add benchmarks")
    try:
        period = Period.parse(body.period_label)
    except PeriodError as exc:
        raise invalid("period_label", str(exc), "period", detail="invalid period") from exc
    if not await repo.indicator_exists(session, body.indicator_code):
        raise invalid("indicator_code", "no such indicator", "unknown_indicator")
    values = body.model_dump() | {"period_label": period.label, "created_by": caller.subject}
    key = f"{body.indicator_code}:{body.comparator}:{period.label}"
    await repo.lock_benchmark_key(session, key)
    row = await repo.insert_benchmark_version(session, values)
    read = BenchmarkRead.model_validate(row, from_attributes=True)
    await emit(
        session,
        caller,
        "benchmark.added",
        "benchmark",
        f"{key}:v{row.version}",
        read.model_dump(mode="json", exclude={"created_at"}),
    )
    return read
