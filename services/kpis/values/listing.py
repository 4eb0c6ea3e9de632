"""Reading values: the watermarked listing, its export, and a period's approval state.

Worker-level rows are included only under the one rule of ``access.worker_access`` (council
managers, with a stated purpose, each read recorded).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.access import worker_access
from services.kpis.periods import Period
from services.kpis.values import repository as repo
from services.kpis.values.models import IndicatorValue, ValuePeriod
from services.kpis.values.repository import ValueFilter
from services.kpis.values.schemas import PeriodStatus, ValueRead
from services.kpis.values.service import parse_period
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey

#: At most this many rows leave in one export.
EXPORT_LIMIT = 100_000
#: The export's columns, in order.
EXPORT_FIELDS = [
    "indicator",
    "definition_version",
    "org_unit",
    "period",
    "value",
    "numerator",
    "denominator",
    "state",
    "revision",
    "source_agency",
    "approved_by",
    "approved_at",
    "release_id",
]


def value_filter(
    indicator: str | None, period: str | None, org_unit: str | None, history: bool = False
) -> ValueFilter:
    """The listing's query parameters, the period parsed (a 422 naming it when it is not one)."""
    return ValueFilter(
        indicator=indicator,
        period=parse_period(period) if period else None,
        org_unit=org_unit,
        history=history,
    )


def _read(row: Any) -> ValueRead:
    v: IndicatorValue = row[0]
    return ValueRead(
        indicator=row[1],
        definition_version=row[2],
        org_unit=row[3],
        org_unit_level=row[4],
        period=Period.from_dates(v.period_type, v.period_start, v.period_end).label,
        period_type=v.period_type,
        period_start=v.period_start,
        period_end=v.period_end,
        value=v.value,
        numerator=v.numerator,
        denominator=v.denominator,
        comment=v.comment,
        state=v.state,
        revision=v.revision,
        is_current=v.is_current,
        source=v.source,
        source_agency=v.source_agency,
        source_kind=v.source_kind,
        import_id=v.import_id,
        submission_id=v.submission_id,
        recorded_by=v.created_by,
        recorded_at=v.created_at,
        approved_by=v.approved_by,
        approved_at=v.approved_at,
        release_id=row[5] if v.state == "approved" else None,
    )


async def _workers(
    session: AsyncSession, caller: Caller, f: ValueFilter, purpose: str | None
) -> bool:
    if purpose is None:
        return False
    label = f.period.label if f.period is not None else None
    return await worker_access(
        session,
        caller,
        purpose,
        f"values:{f.indicator}:{f.org_unit}",
        {"indicator": f.indicator, "period": label, "org_unit": f.org_unit},
    )


#: the fields ``?sort=`` of the values allows
VALUE_SORT = tuple(repo.VALUE_SORT)


async def values(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    f: ValueFilter,
    purpose: str | None,
    sort: list[SortKey],
) -> Page[ValueRead]:
    """One page of the values the caller may see, with their watermark."""
    workers = await _workers(session, caller, f, purpose)
    rows, total = await repo.value_rows(
        session, caller, f, workers=workers, limit=page.limit, offset=page.offset, sort=sort
    )
    return Page(
        items=[_read(r) for r in rows], total=total or 0, limit=page.limit, offset=page.offset
    )


async def export_rows(session: AsyncSession, caller: Caller, f: ValueFilter) -> list[ValueRead]:
    """The current values the caller may see (no worker rows), at most ``EXPORT_LIMIT``."""
    rows, _ = await repo.value_rows(
        session, caller, f, workers=False, limit=EXPORT_LIMIT, with_total=False
    )
    return [_read(r) for r in rows]


async def period_status(session: AsyncSession, row: ValuePeriod, code: str) -> PeriodStatus:
    """A period's approval state with its count of current values."""
    period = Period.from_dates(row.period_type, row.period_start, row.period_end)
    return PeriodStatus(
        indicator=code,
        definition_version=await repo.indicator_version(session, row.indicator_id),
        period=period.label,
        state=row.state,
        version=row.version,
        submitted_by=row.submitted_by,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        reopen_reason=row.reopen_reason,
        release_id=row.release_id if row.state == "approved" else None,
        value_count=await repo.count_current(session, row.indicator_id, period),
    )
