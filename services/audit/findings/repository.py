"""SQL of findings; reads only through audits the caller's agency takes part in."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.audits.models import CaseAudit
from services.audit.findings.models import Finding
from shared.pagination import SortKey, order_by

OPEN_STATES = ("open", "action_agreed")


def overdue(today: date) -> ColumnElement[bool]:
    return and_(Finding.status.in_(OPEN_STATES), Finding.due_date < today)


def recheck_overdue(today: date) -> ColumnElement[bool]:
    return and_(Finding.status == "done", Finding.recheck_due_date < today)


async def add(session: AsyncSession, values: dict[str, Any]) -> Finding:
    finding = Finding(**values, status="open", version=1)
    session.add(finding)
    await session.flush()
    await session.refresh(finding)
    return finding


async def visible(
    session: AsyncSession, finding_id: int, agency: str, *, lock: bool = False
) -> tuple[Finding, CaseAudit] | None:
    query = (
        select(Finding, CaseAudit)
        .join(CaseAudit, CaseAudit.audit_id == Finding.audit_id)
        .where(Finding.finding_id == finding_id, CaseAudit.agencies.contains([agency]))
    )
    if lock:
        query = query.with_for_update(of=Finding)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


#: field → column for ``?sort=`` (ties broken by the finding's id)
FINDING_SORT = {
    "finding_id": Finding.finding_id,
    "audit_id": Finding.audit_id,
    "severity": Finding.severity,
    "owner": Finding.owner,
    "agency": Finding.agency,
    "due_date": Finding.due_date,
    "status": Finding.status,
    "recheck_due_date": Finding.recheck_due_date,
    "closed_at": Finding.closed_at,
}


async def page(
    session: AsyncSession,
    agency: str,
    today: date,
    *,
    audit_id: int | None,
    status: str | None,
    owner_agency: str | None,
    only_overdue: bool,
    only_recheck_overdue: bool,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> tuple[list[Finding], int]:
    query = (
        select(Finding)
        .join(CaseAudit, CaseAudit.audit_id == Finding.audit_id)
        .where(CaseAudit.agencies.contains([agency]))
    )
    if audit_id is not None:
        query = query.where(Finding.audit_id == audit_id)
    if status:
        query = query.where(Finding.status == status)
    if owner_agency:
        query = query.where(Finding.agency == owner_agency)
    if only_overdue:
        query = query.where(overdue(today))
    if only_recheck_overdue:
        query = query.where(recheck_overdue(today))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    ordered = query.order_by(*order_by(sort, FINDING_SORT, Finding.finding_id))
    rows = await session.scalars(ordered.limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def save(session: AsyncSession) -> None:
    await session.flush()
