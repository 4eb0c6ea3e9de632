"""SQL of the values domain: reads filtered by the caller's rights, state changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.periods import Period
from services.kpis.values.models import IndicatorValue, ValuePeriod, ValueTransition
from shared.identity import Caller
from shared.pagination import SortKey, order_by


async def current_indicator(session: AsyncSession, code: str) -> Indicator | None:
    return await session.scalar(
        select(Indicator).where(Indicator.code == code, Indicator.is_current)
    )


async def period_row(
    session: AsyncSession, indicator_id: int, period: Period, *, lock: bool = False
) -> ValuePeriod | None:
    query = select(ValuePeriod).where(
        ValuePeriod.indicator_id == indicator_id,
        ValuePeriod.period_type == period.type,
        ValuePeriod.period_start == period.start,
        ValuePeriod.period_end == period.end,
    )
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


def _current_of(indicator_id: int, period: Period) -> Any:
    return and_(
        IndicatorValue.indicator_id == indicator_id,
        IndicatorValue.period_type == period.type,
        IndicatorValue.period_start == period.start,
        IndicatorValue.period_end == period.end,
        IndicatorValue.is_current,
    )


async def count_current(session: AsyncSession, indicator_id: int, period: Period) -> int:
    query = select(func.count()).select_from(IndicatorValue)
    return int(await session.scalar(query.where(_current_of(indicator_id, period))) or 0)


async def current_creators(session: AsyncSession, indicator_id: int, period: Period) -> set[str]:
    rows = await session.scalars(
        select(IndicatorValue.created_by).distinct().where(_current_of(indicator_id, period))
    )
    return set(rows.all())


async def set_values_state(
    session: AsyncSession,
    indicator_id: int,
    period: Period,
    state: str,
    *,
    approved_by: str | None = None,
    approved_at: datetime | None = None,
) -> None:
    values: dict[str, Any] = {"state": state}
    if state == "approved":
        values |= {"approved_by": approved_by, "approved_at": approved_at}
    await session.execute(
        update(IndicatorValue).where(_current_of(indicator_id, period)).values(**values)
    )


async def add_transition(
    session: AsyncSession,
    row: ValuePeriod,
    from_state: str | None,
    to_state: str,
    actor: str,
    reason: str | None,
) -> None:
    session.add(
        ValueTransition(
            indicator_id=row.indicator_id,
            period_type=row.period_type,
            period_start=row.period_start,
            period_end=row.period_end,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            reason=reason,
        )
    )
    await session.flush()


async def published_values(
    session: AsyncSession, indicator_id: int, period: Period
) -> Sequence[tuple[IndicatorValue, str, str]]:
    """The period's published values with their org unit's code and level."""
    rows = await session.execute(
        select(IndicatorValue, OrgUnit.code, OrgUnit.level)
        .join(OrgUnit, OrgUnit.org_unit_id == IndicatorValue.org_unit_id)
        .where(_current_of(indicator_id, period), IndicatorValue.state == "approved")
        .order_by(IndicatorValue.value_id)
    )
    return [(r[0], r[1], r[2]) for r in rows.all()]


def visibility(caller: Caller, *, workers: bool = False) -> Any:
    """Rows the caller may see: published values, or its own agency's (all of them for
    council managers); worker level only for council managers who state a purpose."""
    manager = access.is_council_manager(caller)
    seen = (
        true()
        if manager
        else or_(IndicatorValue.state == "approved", IndicatorValue.source_agency == caller.agency)
    )
    if workers and manager:
        return seen
    return and_(seen, OrgUnit.level != "worker")


def values_query(caller: Caller, *, workers: bool = False) -> Any:
    return (
        select(
            IndicatorValue,
            Indicator.code,
            Indicator.version,
            OrgUnit.code,
            OrgUnit.level,
            ValuePeriod.release_id,
        )
        .join(Indicator, Indicator.indicator_id == IndicatorValue.indicator_id)
        .join(OrgUnit, OrgUnit.org_unit_id == IndicatorValue.org_unit_id)
        .outerjoin(
            ValuePeriod,
            and_(
                ValuePeriod.indicator_id == IndicatorValue.indicator_id,
                ValuePeriod.period_type == IndicatorValue.period_type,
                ValuePeriod.period_start == IndicatorValue.period_start,
                ValuePeriod.period_end == IndicatorValue.period_end,
            ),
        )
        .where(visibility(caller, workers=workers))
    )


@dataclass(frozen=True)
class ValueFilter:
    """What a value listing or export asks for (``period`` already parsed)."""

    indicator: str | None = None
    period: Period | None = None
    org_unit: str | None = None
    history: bool = False


def _filtered(caller: Caller, workers: bool, f: ValueFilter) -> Any:
    query = values_query(caller, workers=workers)
    if f.indicator:
        query = query.where(Indicator.code == f.indicator)
    if f.period is not None:
        query = query.where(
            IndicatorValue.period_type == f.period.type,
            IndicatorValue.period_start == f.period.start,
            IndicatorValue.period_end == f.period.end,
        )
    if f.org_unit:
        query = query.where(OrgUnit.code == f.org_unit)
    if not f.history:
        query = query.where(IndicatorValue.is_current)
    return query


#: field → column for ``?sort=`` of the values (ties broken by the value's id)
VALUE_SORT = {
    "period_start": IndicatorValue.period_start,
    "period_end": IndicatorValue.period_end,
    "indicator": Indicator.code,
    "org_unit": OrgUnit.code,
    "value": IndicatorValue.value,
    "revision": IndicatorValue.revision,
    "state": IndicatorValue.state,
    "recorded_at": IndicatorValue.created_at,
}
BY_PERIOD = (SortKey("period_start"),)


async def value_rows(
    session: AsyncSession,
    caller: Caller,
    f: ValueFilter,
    *,
    workers: bool,
    limit: int,
    offset: int = 0,
    with_total: bool = True,
    sort: Sequence[SortKey] = BY_PERIOD,
) -> tuple[list[Any], int | None]:
    """Values the caller may see, by period then id unless ``sort`` says otherwise: (value,
    indicator code, definition version, org unit code, level, release id) rows, and the
    total when asked."""
    query = _filtered(caller, workers, f)
    total = None
    if with_total:
        total = int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await session.execute(
        query.order_by(*order_by(sort, VALUE_SORT, IndicatorValue.value_id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), total


async def indicator_version(session: AsyncSession, indicator_id: int) -> int:
    found = await session.get(Indicator, indicator_id)
    return found.version if found else 0
