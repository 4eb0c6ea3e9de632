"""HTTP for QA statistics (KPI submission row shape)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter

from services.audit.events import TrailBound
from services.audit.params import IdQuery
from services.audit.statistics import service
from services.audit.statistics.schemas import By, Statistics
from shared.db import SessionDep
from shared.exports import EXPORT_RESPONSES, AcceptHeader, RepresentationQuery, representation
from shared.exports import export_response as tabular
from shared.identity import CallerDep

router = APIRouter(
    prefix="/v1/audit-statistics", tags=["audit statistics"], dependencies=[TrailBound]
)


@router.get(
    "",
    summary="Grade distribution, % good or better, overdue findings, re-checks",
    response_model=Statistics,
    responses=EXPORT_RESPONSES,
)
async def statistics(
    caller: CallerDep,
    session: SessionDep,
    by: By = "agency",
    period_from: date | None = None,
    period_to: date | None = None,
    programme_id: IdQuery = None,
    format: RepresentationQuery = None,
    accept: AcceptHeader = None,
) -> Any:
    """JSON by default; a table of the same rows as CSV or an XLSX workbook with
    `?format=csv|xlsx` (or an `Accept` naming either); `?format=json` is the JSON."""
    stats = await service.statistics(session, caller, by, period_from, period_to, programme_id)
    fmt = representation(format, accept)
    if fmt is None:
        return stats
    rows = service.table_rows(stats)
    return tabular(fmt, rows, rows, service.TABLE_FIELDS, f"audit-statistics-{by}")
