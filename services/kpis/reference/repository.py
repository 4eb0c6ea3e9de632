"""SQL of targets and benchmarks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.reference.models import Benchmark, Target
from shared.pagination import PageParams, page_scalars


async def list_targets(
    session: AsyncSession, indicator: str | None, page: PageParams
) -> tuple[list[Target], int]:
    query = select(Target).order_by(Target.indicator_code, Target.financial_year)
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


async def list_benchmarks(
    session: AsyncSession, indicator: str | None, page: PageParams
) -> tuple[list[Benchmark], int]:
    query = select(Benchmark).order_by(
        Benchmark.indicator_code, Benchmark.comparator, Benchmark.benchmark_id
    )
    if indicator:
        query = query.where(Benchmark.indicator_code == indicator)
    return await page_scalars(session, query, page)
