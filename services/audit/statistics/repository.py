"""SQL of statistics: the audits and findings the caller's agency may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.audits.models import CaseAudit
from services.audit.findings.models import Finding

GRADED = ("submitted", "moderated", "closed")


async def graded_audits(
    session: AsyncSession, agency: str, start: date, end: date, programme_id: int | None
) -> list[Any]:
    query = select(
        CaseAudit.programme_id,
        CaseAudit.lead_agency,
        CaseAudit.team_code,
        CaseAudit.audit_date,
        CaseAudit.grade,
        CaseAudit.moderated_grade,
    ).where(
        CaseAudit.agencies.contains([agency]),
        CaseAudit.status.in_(GRADED),
        CaseAudit.audit_date >= start,
        CaseAudit.audit_date <= end,
    )
    if programme_id is not None:
        query = query.where(CaseAudit.programme_id == programme_id)
    return list((await session.execute(query)).all())


async def findings(session: AsyncSession, agency: str, programme_id: int | None) -> list[Any]:
    query = (
        select(
            Finding.status,
            Finding.agency,
            Finding.due_date,
            Finding.recheck_due_date,
            Finding.recheck_outcome,
            Finding.rechecked_on,
            CaseAudit.programme_id,
            CaseAudit.lead_agency,
            CaseAudit.team_code,
        )
        .join(CaseAudit, CaseAudit.audit_id == Finding.audit_id)
        .where(CaseAudit.agencies.contains([agency]))
    )
    if programme_id is not None:
        query = query.where(CaseAudit.programme_id == programme_id)
    return list((await session.execute(query)).all())
