"""Series, dashboard snapshot and drill-down.

Worker-level figures are for council managers only and need a stated purpose; each such
read is recorded in the trail (``sensitive.read`` with the purpose) through the outbox
(the one rule: :func:`services.kpis.access.worker_access`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.access import worker_access
from services.kpis.orgunits.models import OrgUnit
from services.kpis.periods import Period, financial_year
from services.kpis.series import analysis
from services.kpis.series import repository as repo
from services.kpis.values.models import IndicatorValue
from services.kpis.values.service import parse_period
from shared.identity import Caller
from shared.problems import InvalidInput, NotFound


async def _unit(session: AsyncSession, code: str) -> OrgUnit:
    unit = await repo.org_unit(session, code)
    if unit is None:
        raise NotFound("no such org unit")
    return unit


def _part(v: IndicatorValue) -> analysis.Part:
    return analysis.Part(v.value, v.numerator, v.denominator)


async def series(
    session: AsyncSession,
    caller: Caller,
    *,
    code: str,
    org_unit: str,
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
    rows = await repo.series_values(session, caller, code, unit.org_unit_id, ptype, workers=workers)
    sums = await repo.children_sums(session, caller, code, unit.org_unit_id, ptype, workers=workers)
    own: dict[tuple[Any, ...], Any] = {(r.period_start, r.period_end, r.version): r for r in rows}
    rolled_up: dict[tuple[Any, ...], analysis.Part] = {}
    for r in sums:
        key = (r.period_start, r.period_end, r.version)
        if key not in own:
            total = analysis.roll_up_sums(current.unit, r)
            if total is not None:
                rolled_up[key] = total
    targets = await repo.targets(session, [code])
    benches = await repo.benchmarks(session, code)
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


async def dashboard(
    session: AsyncSession, caller: Caller, *, org_unit: str, theme: int | None
) -> dict[str, Any]:
    unit = await _unit(session, org_unit)
    if unit.level == "worker":
        raise NotFound("the dashboard is for teams and above; use the drill-down")
    rows = await repo.dashboard_rows(session, unit.org_unit_id, theme)
    latest: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.rn == 1:
            latest[r.code] = {
                "indicator": r.code,
                "name": r.name,
                "themes": r.themes,
                "unit": r.unit,
                "polarity": r.polarity,
                "source_agency": r.source_agency,
                "definition_version": r.version,
                "period": Period.from_dates(r.period_type, r.period_start, r.period_end).label,
                "value": r.value,
                "numerator": r.numerator,
                "denominator": r.denominator,
                "revision": r.revision,
                "state": "approved",
                "approved_by": r.approved_by,
                "approved_at": r.approved_at,
                "target": r.target,
                "rag": analysis.rag(r.value, r.target, r.amber_tolerance, r.polarity),
                "trend": None,
            }
        elif r.code in latest:
            latest[r.code]["trend"] = analysis.direction(
                latest[r.code]["value"], r.value, r.polarity
            )
    return {"org_unit": unit.code, "theme": theme, "items": list(latest.values())}


async def drill_down(
    session: AsyncSession,
    caller: Caller,
    *,
    code: str,
    period_text: str,
    org_unit: str,
    purpose: str | None,
) -> dict[str, Any]:
    indicator = await repo.current_indicator(session, code)
    if indicator is None:
        raise NotFound("no such indicator")
    period = parse_period(period_text)
    found, kids = await repo.unit_and_children(session, org_unit)
    if found is None:
        raise NotFound("no such org unit")
    unit = found
    if unit.level == "worker":
        raise InvalidInput(
            "a worker has no children to drill into",
            extensions={"errors": [{"field": "org_unit", "in": "query", "message": "worker"}]},
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
    values = await repo.period_values(
        session,
        caller,
        indicator.indicator_id,
        period,
        [unit.org_unit_id, *(k.org_unit_id for k in kids)],
        workers=workers,
    )
    items = []
    for k in kids:
        v = values.get(k.org_unit_id)
        items.append(
            {
                "org_unit": k.code,
                "level": k.level,
                "name": k.name,
                "value": v.value if v else None,
                "numerator": v.numerator if v else None,
                "denominator": v.denominator if v else None,
                "state": v.state if v else None,
                "revision": v.revision if v else None,
            }
        )
    own = values.get(unit.org_unit_id)
    if own is not None:
        total: dict[str, Any] = {
            "value": own.value,
            "numerator": own.numerator,
            "denominator": own.denominator,
            "rolled_up": False,
        }
    else:
        rolled = analysis.roll_up(
            indicator.unit, [_part(values[k.org_unit_id]) for k in kids if k.org_unit_id in values]
        )
        total = {
            "value": rolled.value if rolled else None,
            "numerator": rolled.numerator if rolled else None,
            "denominator": rolled.denominator if rolled else None,
            "rolled_up": True,
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


def as_decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))
