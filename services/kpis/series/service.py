"""Series, dashboard snapshot and drill-down.

Worker-level figures are for council managers only and need a stated purpose; each such
read is recorded in the trail (``sensitive.read`` with the purpose) through the outbox
(the one rule: :func:`services.kpis.access.worker_access`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.access import worker_access
from services.kpis.orgunits.models import OrgUnit
from services.kpis.periods import Period, financial_year
from services.kpis.series import analysis
from services.kpis.series import repository as repo
from services.kpis.series.rollup import Tree
from services.kpis.values.service import parse_period
from shared.identity import Caller
from shared.problems import NotFound, invalid


async def unit_code(session: AsyncSession, code: str | None) -> str:
    """The org unit asked for, or, when none is named, the authority at the tree's root.

    The default is the loaded tree's own authority (the one ``KPIS_AUTHORITY_CODE`` names and
    the imports file their figures under), never a code written into the code.
    """
    if code is not None:
        return code
    roots = await repo.authority_codes(session)
    if len(roots) != 1:
        raise invalid(
            "org_unit",
            "no single authority is loaded: name the org unit"
            if roots
            else "no organisation tree is loaded: name the org unit",
            "authority_unknown",
            "query",
        )
    return roots[0]


async def _unit(session: AsyncSession, code: str | None) -> OrgUnit:
    unit = await repo.org_unit(session, await unit_code(session, code))
    if unit is None:
        raise NotFound("no such org unit")
    return unit


async def series(
    session: AsyncSession,
    caller: Caller,
    *,
    code: str,
    org_unit: str | None,
    period_type: str | None,
    purpose: str | None,
) -> dict[str, Any]:
    versions = await repo.indicator_versions(session, code)
    if not versions:
        raise NotFound("no such indicator")
    current = versions[-1]
    unit = await _unit(session, org_unit)
    ptype = period_type or repo.NATURAL_PERIOD[current.frequency]
    workers = False
    if unit.level == "worker":
        workers = await worker_access(
            session, caller, purpose, f"series:{code}:{unit.code}", {"indicator": code}
        )
        if not workers:
            raise NotFound("no such org unit")
    # every level from the numerators and denominators below it, whatever level the
    # values arrived at (own value first; otherwise rolled up, down to the workers)
    tree = Tree(await repo.subtree(session, unit.org_unit_id))
    rows = await repo.subtree_values(session, caller, code, list(tree.nodes), ptype)
    by_key: dict[tuple[Any, ...], dict[int, Any]] = {}
    for r in rows:
        by_key.setdefault((r.period_start, r.period_end, r.version), {})[r.org_unit_id] = r
    own: dict[tuple[Any, ...], Any] = {}
    rolled_up: dict[tuple[Any, ...], analysis.Part] = {}
    for key, at in by_key.items():
        if unit.org_unit_id in at:
            own[key] = at[unit.org_unit_id]
            continue
        parts = {i: analysis.Part(v.value, v.numerator, v.denominator) for i, v in at.items()}
        found = tree.figures(current.unit, parts).get(unit.org_unit_id)
        if found is not None:
            rolled_up[key] = found.part
    targets = await repo.targets(session, [code])
    benches = await repo.benchmarks(session, [code])
    england = {b.period_label: b.value for b in benches if b.comparator == "england"}
    points: list[dict[str, Any]] = []
    for key in sorted(own.keys() | rolled_up.keys()):
        start, end, version = key
        period = Period.from_dates(ptype, start, end)
        if key in own:
            v = own[key]
            figure = analysis.Part(v.value, v.numerator, v.denominator)
            extra = {"state": v.state, "revision": v.revision, "rolled_up": False}
        else:
            figure = rolled_up[key]
            extra = {"state": None, "revision": None, "rolled_up": True}
        target = targets.get((code, financial_year(start)))
        points.append(
            {
                "period": period.label,
                "period_start": start,
                "period_end": end,
                "definition_version": version,
                "value": figure.value,
                "numerator": figure.numerator,
                "denominator": figure.denominator,
                "target": target.value if target else None,
                "rag": analysis.rag(
                    figure.value,
                    target.value if target else None,
                    target.amber_tolerance if target else None,
                    current.polarity,
                ),
                "benchmark": england.get(period.label)
                or england.get(Period.fy(period.fiscal_year).label),
                **extra,
            }
        )
    _annotate(points, current.polarity)
    return {
        "indicator": code,
        "name": current.name,
        "unit": current.unit,
        "polarity": current.polarity,
        "org_unit": unit.code,
        "period_type": ptype,
        "benchmarks": [
            {
                "comparator": b.comparator,
                "period": b.period_label,
                "value": b.value,
                "source": b.source,
                "version": b.version,
            }
            for b in benches
        ],
        "points": points,
    }


def _annotate(points: list[dict[str, Any]], polarity: str) -> None:
    """Direction of travel, version breaks and SPC signals (per definition version)."""
    previous: dict[str, Any] | None = None
    segment: list[dict[str, Any]] = []
    segments = [segment]
    for point in points:
        brk = previous is not None and previous["definition_version"] != point["definition_version"]
        point["version_break"] = brk
        if brk:
            segment = []
            segments.append(segment)
        point["direction"] = (
            None
            if previous is None or brk
            else analysis.direction(point["value"], previous["value"], polarity)
        )
        segment.append(point)
        previous = point
    for seg in segments:
        figures = [float(p["value"]) for p in seg if p["value"] is not None]
        lim = analysis.limits(figures)
        signals = analysis.spc_signals(figures)
        for p, s in zip([p for p in seg if p["value"] is not None], signals, strict=True):
            p["spc"] = {
                "mean": lim.mean if lim else None,
                "upper_limit": lim.upper if lim else None,
                "lower_limit": lim.lower if lim else None,
                "signals": s,
            }


def _benchmarks_for(benches: list[Any], period: Period) -> list[dict[str, Any]]:
    """Each comparator's latest figure for the period itself, else for its financial year
    (the rule the series uses for its England line), with the version read."""
    labels = (period.label, Period.fy(period.fiscal_year).label)
    found: dict[str, Any] = {}
    for label in reversed(labels):  # the period's own figure wins over its year's
        for b in benches:
            if b.period_label == label:
                found[b.comparator] = b
    return [
        {
            "comparator": c,
            "period": b.period_label,
            "value": b.value,
            "version": b.version,
            "source": b.source,
        }
        for c, b in sorted(found.items())
    ]


def _dashboard_spc(period_type: str, row: Any) -> dict[str, Any]:
    """SPC over the published series (current definition): the limits, the signals at the
    latest point, and every period carrying a signal. ``row`` holds the series as arrays,
    newest first."""
    ordered = [
        (start, end, value)
        for start, end, value in zip(
            reversed(row.starts), reversed(row.ends), reversed(row.figures), strict=True
        )
        if value is not None
    ]
    figures = [float(value) for _, _, value in ordered]
    lim = analysis.limits(figures)
    signals = analysis.spc_signals(figures)
    latest_is_figure = row.figures[0] is not None
    return {
        "points": len(figures),
        "mean": lim.mean if lim else None,
        "upper_limit": lim.upper if lim else None,
        "lower_limit": lim.lower if lim else None,
        "latest_signals": signals[-1] if signals and latest_is_figure else [],
        "signal_periods": [
            Period.from_dates(period_type, start, end).label
            for (start, end, _), s in zip(ordered, signals, strict=True)
            if s
        ],
    }


class _Benchmark(NamedTuple):
    comparator: str
    period_label: str
    value: Decimal
    version: int
    source: str


def _dashboard_benchmarks(row: Any) -> list[_Benchmark]:
    """The latest benchmark figures the dashboard row carries as arrays (none: NULL)."""
    if row.bench_comparators is None:
        return []
    return [
        _Benchmark(*b)
        for b in zip(
            row.bench_comparators,
            row.bench_periods,
            row.bench_values,
            row.bench_versions,
            row.bench_sources,
            strict=True,
        )
    ]


async def dashboard(
    session: AsyncSession, caller: Caller, *, org_unit: str | None, theme: int | None
) -> dict[str, Any]:
    unit = await _unit(session, org_unit)
    if unit.level == "worker":
        raise NotFound("the dashboard is for teams and above; use the drill-down")
    rows = await repo.dashboard_rows(session, unit.org_unit_id, theme)
    items: list[dict[str, Any]] = []
    for r in rows:
        period = Period.from_dates(r.period_type, r.starts[0], r.ends[0])
        value = r.figures[0]
        items.append(
            {
                "indicator": r.code,
                "name": r.name,
                "themes": r.themes,
                "unit": r.unit,
                "polarity": r.polarity,
                "source_agency": r.source_agency,
                "definition_version": r.version,
                "period": period.label,
                "value": value,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "revision": r.revision,
                "state": "approved",
                "approved_by": r.approved_by,
                "approved_at": r.approved_at,
                "target": r.target,
                "rag": analysis.rag(value, r.target, r.amber_tolerance, r.polarity),
                "trend": (
                    analysis.direction(value, r.figures[1], r.polarity)
                    if len(r.figures) > 1
                    else None
                ),
                "spc": _dashboard_spc(r.period_type, r),
                "benchmarks": _benchmarks_for(_dashboard_benchmarks(r), period),
            }
        )
    return {"org_unit": unit.code, "theme": theme, "items": items}


async def drill_down(
    session: AsyncSession,
    caller: Caller,
    *,
    code: str,
    period_text: str,
    org_unit: str | None,
    purpose: str | None,
) -> dict[str, Any]:
    indicator = await repo.current_indicator(session, code)
    if indicator is None:
        raise NotFound("no such indicator")
    period = parse_period(period_text)
    found, kids = await repo.unit_and_children(session, await unit_code(session, org_unit))
    if found is None:
        raise NotFound("no such org unit")
    unit = found
    if unit.level == "worker":
        raise invalid(
            "org_unit", "worker", "worker", "query", detail="a worker has no children to drill into"
        )
    workers = False
    if any(k.level == "worker" for k in kids):
        workers = (
            await worker_access(
                session,
                caller,
                purpose,
                f"drill:{code}:{unit.code}",
                {"indicator": code, "period": period.label, "org_unit": unit.code},
            )
            if access.is_council_manager(caller)
            else False
        )
    if not workers:
        kids = [k for k in kids if k.level != "worker"]
    # each child's figure and the total: own value, or rolled up from every level below
    tree = Tree(await repo.subtree(session, unit.org_unit_id))
    rows = await repo.subtree_values(
        session, caller, code, list(tree.nodes), period.type, period=period
    )
    found_rows = {r.org_unit_id: r for r in rows}
    figures = tree.figures(
        indicator.unit,
        {i: analysis.Part(r.value, r.numerator, r.denominator) for i, r in found_rows.items()},
    )
    items = []
    for k in kids:
        figure = figures.get(k.org_unit_id)
        own_row = found_rows.get(k.org_unit_id)
        items.append(
            {
                "org_unit": k.code,
                "level": k.level,
                "name": k.name,
                "value": figure.part.value if figure else None,
                "numerator": figure.part.numerator if figure else None,
                "denominator": figure.part.denominator if figure else None,
                "rolled_up": figure.rolled_up if figure else False,
                "state": own_row.state if own_row else None,
                "revision": own_row.revision if own_row else None,
            }
        )
    mine = figures.get(unit.org_unit_id)
    total: dict[str, Any] = {
        "value": mine.part.value if mine else None,
        "numerator": mine.part.numerator if mine else None,
        "denominator": mine.part.denominator if mine else None,
        "rolled_up": mine.rolled_up if mine else True,
    }
    return {
        "indicator": code,
        "definition_version": indicator.version,
        "period": period.label,
        "org_unit": unit.code,
        "level": unit.level,
        "total": total,
        "children": items,
        "worker_level": workers,
    }
