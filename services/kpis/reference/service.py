"""Rules of targets and benchmarks: anyone reads them; council performance staff set targets."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.events import emit
from services.kpis.reference import repository as repo
from services.kpis.reference.schemas import BenchmarkRead, TargetPut, TargetRead
from shared.identity import Caller
from shared.pagination import Page, PageParams, page_of
from shared.problems import Forbidden


async def list_targets(
    session: AsyncSession, indicator: str | None, page: PageParams
) -> Page[TargetRead]:
    rows, total = await repo.list_targets(session, indicator, page)
    return page_of([TargetRead.model_validate(r, from_attributes=True) for r in rows], total, page)


async def put_target(session: AsyncSession, caller: Caller, body: TargetPut) -> TargetRead:
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff set targets")
    await repo.upsert_target(session, body.model_dump())
    entity = f"{body.indicator_code}:{body.financial_year}"
    await emit(session, caller, "target.set", "target", entity, body.model_dump(mode="json"))
    return TargetRead(**body.model_dump())


async def list_benchmarks(
    session: AsyncSession, indicator: str | None, page: PageParams
) -> Page[BenchmarkRead]:
    rows, total = await repo.list_benchmarks(session, indicator, page)
    items = [BenchmarkRead.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, total, page)
