"""``/v1/targets`` and ``/v1/benchmarks`` (reads; targets set by council performance staff)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.kpis import access
from services.kpis.db import outbox
from services.kpis.reference.models import Benchmark, Target
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.outbox import OutboxEvent, add_event
from shared.problems import Forbidden

router = APIRouter(tags=["reference"])


class TargetRead(BaseModel):
    indicator_code: str
    financial_year: int
    value: Decimal
    amber_tolerance: Decimal


class TargetPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    indicator_code: str = Field(min_length=2, max_length=40)
    financial_year: int = Field(ge=2000, le=2100)
    value: Decimal = Field(ge=0, le=10**9)
    amber_tolerance: Decimal = Field(ge=0, le=10**9)


class BenchmarkRead(BaseModel):
    indicator_code: str
    comparator: str
    period_label: str
    value: Decimal
    source: str


@router.get("/v1/targets", summary="Targets by indicator and financial year, with tolerances")
async def list_targets(
    session: SessionDep,
    caller: CallerDep,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
) -> list[TargetRead]:
    query = select(Target).order_by(Target.indicator_code, Target.financial_year)
    if indicator:
        query = query.where(Target.indicator_code == indicator)
    rows = await session.scalars(query.limit(1000))
    return [TargetRead.model_validate(r, from_attributes=True) for r in rows.all()]


@router.put("/v1/targets", summary="Set a target (council performance staff)")
async def put_target(session: SessionDep, caller: CallerDep, body: TargetPut) -> TargetRead:
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff set targets")
    await session.execute(
        insert(Target)
        .values(**body.model_dump())
        .on_conflict_do_update(
            index_elements=["indicator_code", "financial_year"],
            set_={"value": body.value, "amber_tolerance": body.amber_tolerance},
        )
    )
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type="target.set",
            entity_type="target",
            entity_id=f"{body.indicator_code}:{body.financial_year}",
            actor=caller.as_actor(),
            payload=body.model_dump(mode="json"),
        ),
    )
    return TargetRead(**body.model_dump())


@router.get("/v1/benchmarks", summary="Benchmarks: England, statistical neighbours, region")
async def list_benchmarks(
    session: SessionDep,
    caller: CallerDep,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
) -> list[BenchmarkRead]:
    query = select(Benchmark).order_by(Benchmark.indicator_code, Benchmark.comparator)
    if indicator:
        query = query.where(Benchmark.indicator_code == indicator)
    rows = await session.scalars(query.limit(1000))
    return [BenchmarkRead.model_validate(r, from_attributes=True) for r in rows.all()]
