"""SQL of case audits; every read filters by the caller's agency."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.audits.models import AuditSection, CaseAudit
from shared.pagination import SortKey, order_by


async def add(session: AsyncSession, values: dict[str, Any], agencies: list[str]) -> CaseAudit:
    audit = CaseAudit(**values, agencies=agencies, status="draft", version=1)
    session.add(audit)
    await session.flush()
    for agency in agencies:
        session.add(AuditSection(audit_id=audit.audit_id, agency=agency, answers={}))
    await session.flush()
    await session.refresh(audit)
    return audit


async def visible(
    session: AsyncSession, audit_id: int, agency: str, *, lock: bool = False
) -> CaseAudit | None:
    query = select(CaseAudit).where(
        CaseAudit.audit_id == audit_id, CaseAudit.agencies.contains([agency])
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def sections(session: AsyncSession, audit_id: int) -> list[AuditSection]:
    rows = await session.scalars(
        select(AuditSection).where(AuditSection.audit_id == audit_id).order_by(AuditSection.agency)
    )
    return list(rows)


#: field → column for ``?sort=`` (ties broken by the audit's id)
AUDIT_SORT = {
    "audit_id": CaseAudit.audit_id,
    "programme_id": CaseAudit.programme_id,
    "case_ref": CaseAudit.case_ref,
    "team_code": CaseAudit.team_code,
    "audit_date": CaseAudit.audit_date,
    "status": CaseAudit.status,
    "submitted_at": CaseAudit.submitted_at,
    "closed_at": CaseAudit.closed_at,
}


async def page(
    session: AsyncSession,
    agency: str,
    *,
    programme_id: int | None,
    status: str | None,
    team_code: str | None,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> tuple[list[CaseAudit], int]:
    query = select(CaseAudit).where(CaseAudit.agencies.contains([agency]))
    if programme_id is not None:
        query = query.where(CaseAudit.programme_id == programme_id)
    if status:
        query = query.where(CaseAudit.status == status)
    if team_code:
        query = query.where(CaseAudit.team_code == team_code)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(*order_by(sort, AUDIT_SORT, CaseAudit.audit_id))
    rows = await session.scalars(ordered.limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def save(session: AsyncSession) -> None:
    await session.flush()
