"""SQL of targets and benchmarks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from services.kpis.indicators.models import Indicator
from services.kpis.reference.models import Benchmark, Target
from shared.pagination import PageParams, SortKey, order_by, page_scalars

#: field → column for ``?sort=`` of each list (ties broken by the row's id)
TARGET_SORT = {
    "indicator_code": Target.indicator_code,
    "financial_year": Target.financial_year,
    "value": Target.value,
}
BENCHMARK_SORT = {
    "benchmark_id": Benchmark.benchmark_id,
    "indicator_code": Benchmark.indicator_code,
    "comparator": Benchmark.comparator,
    "period_label": Benchmark.period_label,
    "value": Benchmark.value,
    "version": Benchmark.version,
    "created_at": Benchmark.created_at,
}


async def list_targets(
    session: AsyncSession, indicator: str | None, sort: list[SortKey], page: PageParams
) -> tuple[list[Target], int]:
    query = select(Target).order_by(*order_by(sort, TARGET_SORT, Target.target_id))
    if indicator:
        query = query.where(Target.indicator_code == indicator)
    return await page_scalars(session, query, page)


async def upsert_target(session: AsyncSession, values: dict[str, Any]) -> None:
    """One target per indicator and financial year: set, or replace its value and tolerance."""
    await session.execute(
        insert(Target)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["indicator_code", "financial_year"],
            set_={"value": values["value"], "amber_tolerance": values["amber_tolerance"]},
        )
    )


def latest_benchmarks() -> Select[Benchmark]:
    """Benchmarks with no newer version of the same indicator, comparator and period."""
    newer = aliased(Benchmark)
    return select(Benchmark).where(
        ~select(newer.benchmark_id)
        .where(
            and_(
                newer.indicator_code == Benchmark.indicator_code,
                newer.comparator == Benchmark.comparator,
                newer.period_label == Benchmark.period_label,
                newer.version > Benchmark.version,
            )
        )
        .exists()
    )


async def list_benchmarks(
    session: AsyncSession,
    indicator: str | None,
    sort: list[SortKey],
    page: PageParams,
    comparator: str | None = None,
    *,
    all_versions: bool = False,
) -> tuple[list[Benchmark], int]:
    query = select(Benchmark) if all_versions else latest_benchmarks()
    query = query.order_by(*order_by(sort, BENCHMARK_SORT, Benchmark.benchmark_id))
    if indicator:
        query = query.where(Benchmark.indicator_code == indicator)
    if comparator:
        query = query.where(Benchmark.comparator == comparator)
    return await page_scalars(session, query, page)


async def indicator_exists(session: AsyncSession, code: str) -> bool:
    found = await session.scalar(select(Indicator.indicator_id).where(Indicator.code == code))
    return found is not None


async def lock_benchmark_key(session: AsyncSession, key: str) -> None:
    """Serialise new versions of one figure (indicator, comparator, period) until the
    transaction ends, so two parallel posts take consecutive versions."""
    name = literal("kpis.benchmark:") + literal(key)
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0))))


async def insert_benchmark_version(session: AsyncSession, values: dict[str, Any]) -> Benchmark:
    """A new version, numbered one past the latest of the same figure (1 for the first)."""
    latest = await session.scalar(
        select(func.max(Benchmark.version)).where(
            Benchmark.indicator_code == values["indicator_code"],
            Benchmark.comparator == values["comparator"],
            Benchmark.period_label == values["period_label"],
        )
    )
    row = await session.scalar(
        insert(Benchmark).values(**values, version=(latest or 0) + 1).returning(Benchmark)
    )
    assert row is not None
    return row
