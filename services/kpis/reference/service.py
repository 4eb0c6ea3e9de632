"""Rules of targets and benchmarks: anyone reads them; council performance staff set targets."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.events import emit
from services.kpis.reference import repository as repo
from services.kpis.reference.schemas import BenchmarkRead, TargetPut, TargetRead
from shared.identity import Caller
from shared.problems import Forbidden


async def list_targets(session: AsyncSession, indicator: str | None) -> list[TargetRead]:
    rows = await repo.list_targets(session, indicator)
    return [TargetRead.model_validate(r, from_attributes=True) for r in rows]


async def put_target(session: AsyncSession, caller: Caller, body: TargetPut) -> TargetRead:
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff set targets")
    await repo.upsert_target(session, body.model_dump())
    entity = f"{body.indicator_code}:{body.financial_year}"
    await emit(session, caller, "target.set", "target", entity, body.model_dump(mode="json"))
    return TargetRead(**body.model_dump())


async def list_benchmarks(session: AsyncSession, indicator: str | None) -> list[BenchmarkRead]:
    rows = await repo.list_benchmarks(session, indicator)
    return [BenchmarkRead.model_validate(r, from_attributes=True) for r in rows]
