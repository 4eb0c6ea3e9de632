"""``/v1/series`` and ``/v1/dashboard`` (snapshot and drill-down)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from services.kpis.series import reconcile, service
from shared.db import SessionDep
from shared.identity import CallerDep

router = APIRouter(tags=["series"])
Code = Annotated[str, Query(min_length=1, max_length=40, description="indicator code")]
Unit = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=60,
        description="org unit code; default: the authority at the root of the loaded tree",
    ),
]
Purpose = Annotated[
    str | None,
    Query(max_length=500, description="why worker-level figures are read (recorded)"),
]


@router.get("/v1/series", summary="A series with target, RAG, benchmark, travel and SPC")
async def get_series(
    session: SessionDep,
    caller: CallerDep,
    indicator: Code,
    org_unit: Unit = None,
    period_type: Annotated[Literal["month", "quarter", "year", "ytd"] | None, Query()] = None,
    purpose: Purpose = None,
) -> dict[str, Any]:
    return await service.series(
        session,
        caller,
        code=indicator,
        org_unit=org_unit,
        period_type=period_type,
        purpose=purpose,
    )


@router.get("/v1/dashboard", summary="Latest published value of each indicator, RAG and trend")
async def get_dashboard(
    session: SessionDep,
    caller: CallerDep,
    org_unit: Unit = None,
    theme: Annotated[int | None, Query(ge=1, le=20)] = None,
) -> dict[str, Any]:
    return await service.dashboard(session, caller, org_unit=org_unit, theme=theme)


@router.get("/v1/dashboard/drill-down", summary="An indicator's values at the children of a unit")
async def get_drill_down(
    session: SessionDep,
    caller: CallerDep,
    indicator: Code,
    period: Annotated[str, Query(min_length=4, max_length=20)],
    org_unit: Unit = None,
    purpose: Purpose = None,
) -> dict[str, Any]:
    return await service.drill_down(
        session, caller, code=indicator, period_text=period, org_unit=org_unit, purpose=purpose
    )


@router.get(
    "/v1/values/reconciliation",
    summary="Where sources disagree: each source's figure for a period, and the difference",
)
async def get_reconciliation(
    session: SessionDep,
    caller: CallerDep,
    indicator: Code,
    org_unit: Unit = None,
    period: Annotated[str | None, Query(min_length=4, max_length=20)] = None,
    differing_only: Annotated[bool, Query()] = False,
    purpose: Purpose = None,
) -> dict[str, Any]:
    return await reconcile.reconciliation(
        session,
        caller,
        code=indicator,
        org_unit=org_unit,
        period_text=period,
        differing_only=differing_only,
        purpose=purpose,
    )
