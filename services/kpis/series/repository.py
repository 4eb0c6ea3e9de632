"""SQL of series, dashboard and drill-down reads (every query filtered by the caller's rights)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.periods import Period
from services.kpis.reference.models import Benchmark, Target
from services.kpis.reference.repository import latest_benchmarks
from services.kpis.series.rollup import Node
from services.kpis.values.models import IndicatorValue
from services.kpis.values.repository import visibility
from shared.identity import Caller

NATURAL_PERIOD = {"monthly": "month", "quarterly": "quarter", "annual": "year"}


async def org_unit(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.scalar(select(OrgUnit).where(OrgUnit.code == code))


async def authority_codes(session: AsyncSession) -> list[str]:
    """Codes of the organisation tree's roots at authority level (one when a tree is loaded)."""
    rows = await session.scalars(
        select(OrgUnit.code)
        .where(OrgUnit.parent_id.is_(None), OrgUnit.level == "authority")
        .order_by(OrgUnit.code)
        .limit(2)
    )
    return list(rows.all())


async def unit_and_children(
    session: AsyncSession, code: str
) -> tuple[OrgUnit | None, list[OrgUnit]]:
    """An org unit and its children, in one query."""
    parent = select(OrgUnit.org_unit_id).where(OrgUnit.code == code).scalar_subquery()
    rows = (
        await session.scalars(
            select(OrgUnit)
            .where((OrgUnit.code == code) | (OrgUnit.parent_id == parent))
            .order_by(OrgUnit.code)
        )
    ).all()
    unit = next((u for u in rows if u.code == code), None)
    return unit, [u for u in rows if u.code != code]


_SUBTREE_SQL = text(
    """
    WITH RECURSIVE t AS (
        SELECT org_unit_id, parent_id, code, level, name FROM kpis.org_unit
        WHERE org_unit_id = :root
        UNION ALL
        SELECT o.org_unit_id, o.parent_id, o.code, o.level, o.name
        FROM kpis.org_unit o JOIN t ON o.parent_id = t.org_unit_id
    )
    SELECT org_unit_id, parent_id, code, level, name FROM t
    """
)


async def subtree(session: AsyncSession, root_id: int) -> list[Node]:
    """A unit and every unit below it, down to the workers."""
    rows = await session.execute(_SUBTREE_SQL, {"root": root_id})
    return [Node(*r) for r in rows.all()]


def aggregate_visibility(caller: Caller) -> Any:
    """Rows that may count towards a total the caller reads: published values, or its own
    agency's (all for council managers). Worker rows count in their team's total (a team
    figure) but are listed only by :func:`visibility` with worker access."""
    if access.is_council_manager(caller):
        return true()
    return or_(IndicatorValue.state == "approved", IndicatorValue.source_agency == caller.agency)


async def subtree_values(
    session: AsyncSession,
    caller: Caller,
    code: str,
    unit_ids: Sequence[int],
    period_type: str,
    period: Period | None = None,
) -> Sequence[Any]:
    """Current values of ``code`` (every version) at the given units, by period: what a
    total may be worked out from (:func:`aggregate_visibility`)."""
    query = _series_from().add_columns(
        IndicatorValue.org_unit_id,
        IndicatorValue.period_start,
        IndicatorValue.period_end,
        Indicator.version,
        IndicatorValue.value,
        IndicatorValue.numerator,
        IndicatorValue.denominator,
        IndicatorValue.state,
        IndicatorValue.revision,
    )
    where = [
        Indicator.code == code,
        IndicatorValue.period_type == period_type,
        IndicatorValue.is_current,
        IndicatorValue.org_unit_id == any_(bindparam("unit_ids", list(unit_ids), ARRAY(Integer))),
        aggregate_visibility(caller),
    ]
    if period is not None:
        where.append(
            and_(
                IndicatorValue.period_start == period.start,
                IndicatorValue.period_end == period.end,
                Indicator.is_current,
            )
        )
    rows = await session.execute(query.where(*where))
    return rows.all()


async def current_indicator(session: AsyncSession, code: str) -> Indicator | None:
    return await session.scalar(
        select(Indicator).where(Indicator.code == code, Indicator.is_current)
    )


async def children(session: AsyncSession, parent_id: int) -> Sequence[OrgUnit]:
    rows = await session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == parent_id).order_by(OrgUnit.code)
    )
    return rows.all()


async def indicator_versions(session: AsyncSession, code: str) -> Sequence[Indicator]:
    rows = await session.scalars(
        select(Indicator).where(Indicator.code == code).order_by(Indicator.version)
    )
    return rows.all()


def _series_filter(caller: Caller, code: str, period_type: str, workers: bool) -> list[Any]:
    return [
        Indicator.code == code,
        IndicatorValue.period_type == period_type,
        IndicatorValue.is_current,
        visibility(caller, workers=workers),
    ]


def _series_from() -> Any:
    return (
        select()
        .select_from(IndicatorValue)
        .join(Indicator, Indicator.indicator_id == IndicatorValue.indicator_id)
        .join(OrgUnit, OrgUnit.org_unit_id == IndicatorValue.org_unit_id)
    )


async def targets(session: AsyncSession, codes: Sequence[str]) -> dict[tuple[str, int], Target]:
    rows = await session.scalars(select(Target).where(Target.indicator_code.in_(list(codes))))
    return {(t.indicator_code, t.financial_year): t for t in rows.all()}


async def benchmarks(session: AsyncSession, codes: Sequence[str]) -> Sequence[Benchmark]:
    """The latest version of each benchmark figure of these indicators."""
    rows = await session.scalars(
        latest_benchmarks()
        .where(Benchmark.indicator_code.in_(list(codes)))
        .order_by(Benchmark.indicator_code, Benchmark.comparator, Benchmark.period_label)
    )
    return rows.all()


_DASHBOARD_SQL = text(
    """
    SELECT i.code, i.name, i.version, i.unit, i.polarity, i.themes, i.source_agency,
           x.period_type, x.starts, x.ends, x.figures, x.numerators[1] AS numerator,
           x.denominators[1] AS denominator, x.revisions[1] AS revision,
           x.approvers[1] AS approved_by, x.approved[1] AS approved_at,
           t.value AS target, t.amber_tolerance, bm.bench_comparators, bm.bench_periods,
           bm.bench_values, bm.bench_versions, bm.bench_sources
    FROM kpis.indicator i
    CROSS JOIN LATERAL (
        SELECT min(v.period_type) AS period_type,
               array_agg(v.period_start ORDER BY v.period_start DESC) AS starts,
               array_agg(v.period_end ORDER BY v.period_start DESC) AS ends,
               array_agg(v.value ORDER BY v.period_start DESC) AS figures,
               array_agg(v.numerator ORDER BY v.period_start DESC) AS numerators,
               array_agg(v.denominator ORDER BY v.period_start DESC) AS denominators,
               array_agg(v.revision ORDER BY v.period_start DESC) AS revisions,
               array_agg(v.approved_by ORDER BY v.period_start DESC) AS approvers,
               array_agg(v.approved_at ORDER BY v.period_start DESC) AS approved
        FROM kpis.indicator_value v
        WHERE v.indicator_id = i.indicator_id AND v.org_unit_id = :org AND v.is_current
          AND v.state = 'approved'
          AND v.period_type = CASE i.frequency WHEN 'monthly' THEN 'month'
                                 WHEN 'quarterly' THEN 'quarter' ELSE 'year' END
        HAVING count(*) > 0
    ) x
    LEFT JOIN kpis.target t ON t.indicator_code = i.code
        AND t.financial_year
            = CAST(EXTRACT(YEAR FROM x.starts[1] - INTERVAL '3 months') AS integer)
    LEFT JOIN LATERAL (
        SELECT array_agg(l.comparator ORDER BY l.comparator, l.period_label) AS bench_comparators,
               array_agg(l.period_label ORDER BY l.comparator, l.period_label) AS bench_periods,
               array_agg(l.value ORDER BY l.comparator, l.period_label) AS bench_values,
               array_agg(l.version ORDER BY l.comparator, l.period_label) AS bench_versions,
               array_agg(l.source ORDER BY l.comparator, l.period_label) AS bench_sources
        FROM (
            SELECT DISTINCT ON (b.comparator, b.period_label)
                   b.comparator, b.period_label, b.value, b.version, b.source
            FROM kpis.benchmark b
            WHERE b.indicator_code = i.code
            ORDER BY b.comparator, b.period_label, b.version DESC
        ) l
    ) bm ON true
    WHERE i.is_current AND (CAST(:theme AS integer) IS NULL OR :theme = ANY(i.themes))
    ORDER BY i.code
    """
)


async def dashboard_rows(
    session: AsyncSession, org_unit_id: int, theme: int | None
) -> Sequence[Any]:
    """One row per current indicator with published values (in its natural period: month,
    quarter or year) at one org unit: the latest value's fields, and its whole published
    series as arrays newest first (``starts``, ``ends``, ``figures``; index 0 is the latest),
    which feeds the trend and the SPC signals; and the latest version of each of its
    benchmark figures (``bench_*`` arrays, by comparator and period; NULL when none), as
    :func:`benchmarks` reads them. Published values are visible to everyone. One round trip
    and one row per indicator, however long the series."""
    result = await session.execute(_DASHBOARD_SQL, {"org": org_unit_id, "theme": theme})
    return result.all()
