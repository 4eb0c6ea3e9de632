"""SQL of releases: the published list, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.indicators.models import Indicator
from services.kpis.periods import Period
from services.kpis.releases.models import Release
from services.kpis.values.models import ValuePeriod
from shared.pagination import PageParams, SortKey, order_by, page_mappings


@dataclass(frozen=True)
class ReleaseFilter:
    period: Period | None = None
    agency: str | None = None
    indicator: str | None = None


#: field → column for ``?sort=`` (ties broken by the release's id)
RELEASE_SORT = {
    "created_at": Release.created_at,
    "indicator": Indicator.code,
    "source_agency": Indicator.source_agency,
    "period_start": Release.period_start,
    "period_end": Release.period_end,
    "value_count": Release.value_count,
}


async def page_releases(
    session: AsyncSession, f: ReleaseFilter, sort: list[SortKey], page: PageParams
) -> tuple[list[dict[str, Any]], int]:
    """Releases, newest first, with their indicator and whether each is still the period's
    published release (approved, not reopened or superseded)."""
    current = and_(ValuePeriod.release_id == Release.release_id, ValuePeriod.state == "approved")
    stmt = (
        select(
            Release.release_id,
            Indicator.code.label("indicator"),
            Indicator.version.label("definition_version"),
            Indicator.source_agency,
            Release.period_type,
            Release.period_start,
            Release.period_end,
            Release.value_count,
            Release.created_by.label("approved_by"),
            Release.created_at,
            Release.key_id,
            ValuePeriod.release_id.is_not(None).label("is_current"),
        )
        .join(Indicator, Indicator.indicator_id == Release.indicator_id)
        .outerjoin(ValuePeriod, current)
        .order_by(*order_by(sort, RELEASE_SORT, Release.release_id))
    )
    if f.period is not None:
        stmt = stmt.where(
            Release.period_type == f.period.type,
            Release.period_start == f.period.start,
            Release.period_end == f.period.end,
        )
    if f.agency is not None:
        stmt = stmt.where(Indicator.source_agency == f.agency)
    if f.indicator is not None:
        stmt = stmt.where(Indicator.code == f.indicator)
    return await page_mappings(session, stmt, page)
