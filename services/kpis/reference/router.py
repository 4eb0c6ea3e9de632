"""``/v1/targets`` and ``/v1/benchmarks`` (reads; targets set by council performance staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.kpis.reference import service
from services.kpis.reference.schemas import (
    BenchmarkCreate,
    BenchmarkRead,
    TargetPut,
    TargetRead,
)
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(tags=["reference"])


@router.get("/v1/targets", summary="Targets by indicator and financial year, with tolerances")
async def list_targets(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[
        list[SortKey], sort_query(service.TARGET_SORT, "indicator_code,financial_year")
    ],
    indicator: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[TargetRead]:
    return await service.list_targets(session, indicator, sort, page)


@router.put("/v1/targets", summary="Set a target (council performance staff)")
async def put_target(session: SessionDep, caller: CallerDep, body: TargetPut) -> TargetRead:
    return await service.put_target(session, caller, body)


@router.get("/v1/benchmarks", summary="Benchmarks: England, statistical neighbours, region")
async def list_benchmarks(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[
        list[SortKey],
        sort_query(service.BENCHMARK_SORT, "indicator_code,comparator,period_label,version"),
    ],
    indicator: Annotated[str | None, Query(max_length=40)] = None,
    comparator: Annotated[str | None, Query(max_length=30)] = None,
    all_versions: Annotated[
        bool, Query(description="every version of each figure, not only the latest")
    ] = False,
) -> Page[BenchmarkRead]:
    return await service.list_benchmarks(
        session, indicator, sort, page, comparator, all_versions=all_versions
    )


@router.post(
    "/v1/benchmarks",
    status_code=201,
    summary="Add a benchmark figure, or a new version of one (council performance staff)",
)
async def add_benchmark(
    session: SessionDep, caller: CallerDep, body: BenchmarkCreate
) -> BenchmarkRead:
    return await service.add_benchmark(session, caller, body)
