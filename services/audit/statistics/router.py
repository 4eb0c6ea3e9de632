"""HTTP for QA statistics (KPI submission row shape)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from services.audit.params import IdQuery
from services.audit.statistics import service
from services.audit.statistics.schemas import By, Statistics
from shared.db import SessionDep
from shared.identity import CallerDep

router = APIRouter(prefix="/v1/audit-statistics", tags=["audit statistics"])


@router.get("", summary="Grade distribution, % good or better, overdue findings, re-checks")
async def statistics(
    caller: CallerDep,
    session: SessionDep,
    by: By = "agency",
    period_from: date | None = None,
    period_to: date | None = None,
    programme_id: IdQuery = None,
) -> Statistics:
    return await service.statistics(session, caller, by, period_from, period_to, programme_id)
