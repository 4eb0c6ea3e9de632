"""HTTP for QA statistics (KPI submission row shape)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter

from services.audit import access
from services.audit.params import IdQuery
from services.audit.statistics import repository as repo
from services.audit.statistics import service
from services.audit.statistics.schemas import By, Statistics
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.problems import InvalidInput

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
    access.require_read(caller)
    today = datetime.now(UTC).date()
    start = period_from or date(2000, 1, 1)
    end = period_to or today
    if end < start:
        raise InvalidInput(
            "period_to is before period_from",
            extensions={"errors": [{"field": "period_to", "in": "query", "message": "too early"}]},
        )
    audits = await repo.graded_audits(session, caller.agency, start, end, programme_id)
    findings = await repo.findings(session, caller.agency, programme_id)
    rows = service.audit_rows(by, audits) + service.finding_rows(by, findings, today)
    return Statistics(by=by, rows=rows)
