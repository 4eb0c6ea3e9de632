"""Values computed by case-management imports, recorded as draft revisions.

:func:`record_computed_values` is the hand-over named in ``services/kpis/contract.py``.
Codes are resolved in bulk; team codes and worker staff codes (``W-…``) not known yet are
created under the authority; each value then passes the same rules as a partner's
submission (indicator known, period whole, complete and allowed by the indicator's
frequency, counts whole and non-negative, numerator ≤ denominator for percentages, a
published period is locked) and is recorded set-based as a new draft revision with source
``IMPORT_SOURCE``, the import id and the kind of export (``source_kind``). Workers are
placed under their team (``worker_teams``).

One source of truth per figure: when the indicator names an authoritative source and the
current value is that source's, a figure of another source does not replace it; it is kept
beside it (``source_figure``, as every source's figure is) for the reconciliation. Any
rule broken: nothing is written, and the
``InvalidInput`` (or ``Conflict`` for locked periods) lists each bad value by index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.access import COUNCIL, actor_name
from services.kpis.contract import IMPORT_SOURCE, ComputedValue
from services.kpis.periods import Period, PeriodError
from services.kpis.values import lookup, writer
from services.kpis.values.rules import CleanValue, IndicatorInfo, check_period, derive_value
from shared.clock import utc_today
from shared.identity import Caller
from shared.logs import get_logger
from shared.problems import Conflict, Forbidden, InvalidInput

log = get_logger(__name__)
MAX_REPORTED = 100


def _problem_errors(errors: list[dict[str, object]]) -> dict[str, object]:
    return {"errors": errors[:MAX_REPORTED], "error_count": len(errors)}


def _parsed(
    values: Sequence[ComputedValue], indicators: Mapping[str, Any], today: date
) -> list[tuple[int, ComputedValue, Period]]:
    """Each value with its period; a 422 naming every value that breaks the value rules."""
    errors: list[dict[str, object]] = []
    parsed: list[tuple[int, ComputedValue, Period]] = []
    for index, item in enumerate(values):
        info = indicators.get(item.indicator_code)
        if info is None:
            errors.append({"index": index, "field": "indicator_code", "message": "unknown"})
            continue
        try:
            period = Period.from_dates(item.period_type, item.period_start, item.period_end)
            check_period(info, period, today)
        except (PeriodError, ValueError) as exc:
            errors.append({"index": index, "field": "period", "message": str(exc)})
            continue
        if not item.org_unit_code or len(item.org_unit_code) > 60:
            errors.append({"index": index, "field": "org_unit_code", "message": "1–60 chars"})
            continue
        parsed.append((index, item, period))
    _refuse(errors)
    return parsed


def _cleaned(
    parsed: list[tuple[int, ComputedValue, Period]],
    indicators: Mapping[str, Any],
    units: Mapping[str, Any],
) -> list[CleanValue]:
    """The values derived and placed, once each; a 422 naming every one that is not."""
    errors: list[dict[str, object]] = []
    clean: list[CleanValue] = []
    seen: dict[writer.Key, int] = {}
    for index, item, period in parsed:
        info = indicators[item.indicator_code]
        try:
            value, num, den = derive_value(info, item.value, item.numerator, item.denominator)
        except ValueError as exc:
            errors.append({"index": index, "field": "value", "message": str(exc)})
            continue
        row = CleanValue(
            info.indicator_id,
            units[item.org_unit_code][0],
            period,
            value,
            num,
            den,
            item.comment[:1000] if item.comment else None,
        )
        key = writer.key_of(row)
        if key in seen:
            errors.append({"index": index, "field": "key", "message": f"duplicate of {seen[key]}"})
            continue
        seen[key] = index
        clean.append(row)
    _refuse(errors)
    return clean


def _refuse(errors: list[dict[str, object]]) -> None:
    if errors:
        raise InvalidInput(
            "computed values break the value rules", extensions=_problem_errors(errors)
        )


async def _units(
    session: AsyncSession,
    values: Sequence[ComputedValue],
    worker_teams: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The org units the values name, by code; teams and workers the export names that the
    tree lacks are created under the authority (a worker under its team)."""
    units = await lookup.org_units_by_code(session, (v.org_unit_code for v in values))
    unit_codes = {v.org_unit_code for v in values}
    missing_units = unit_codes - units.keys()
    teams_of = {w: t for w, t in (worker_teams or {}).items() if w in unit_codes}
    if missing_units or teams_of:
        parent = await lookup.authority_id(session)
        if parent is None:
            raise Conflict("no authority org unit exists to create teams and workers under")
        units |= await lookup.create_missing_units(session, missing_units, parent, teams_of)
    return units


def _to_change(
    clean: list[CleanValue],
    current: dict[writer.Key, writer.Current],
    by_id: Mapping[int, IndicatorInfo],
    source_kind: str | None,
) -> tuple[list[bool], list[CleanValue]]:
    """Per row, whether it stays beside the indicator's authoritative figure; and the rows
    that change a current figure."""
    beside = [
        writer.keeps_authoritative(
            by_id[r.indicator_id].authoritative_source, source_kind, current.get(writer.key_of(r))
        )
        for r in clean
    ]
    changed = [
        r
        for r, kept in zip(clean, beside, strict=True)
        if not kept and not writer.is_unchanged(r, current.get(writer.key_of(r)))
    ]
    return beside, changed


async def _refuse_locked(
    session: AsyncSession, changed: list[CleanValue], indicators: Mapping[str, IndicatorInfo]
) -> None:
    """A published (locked) period is never changed by an import: 409 naming the periods."""
    states = await writer.period_states(session, {writer.period_key_of(r) for r in changed})
    locked = [r for r in changed if states.get(writer.period_key_of(r)) == writer.LOCKED_STATE]
    if locked:
        codes = {i.indicator_id: i.code for i in indicators.values()}
        named = sorted({f"{codes[r.indicator_id]} {r.period.label}" for r in locked})
        raise Conflict(
            "published values are locked: reopen the period before recording a new revision",
            extensions={"locked": named[:MAX_REPORTED]},
        )


async def record_computed_values(
    session: AsyncSession,
    *,
    values: Sequence[ComputedValue],
    import_id: str,
    actor: Caller,
    source_kind: str | None = None,
    worker_teams: Mapping[str, str] | None = None,
) -> int:
    """Record ``values`` as draft revisions; returns how many became new revisions.
    ``worker_teams``: worker staff code → team code (the worker is placed under it)."""
    if actor.agency != COUNCIL and not actor.has_scope("kpis:import", "admin"):
        raise Forbidden("case-management imports are the council's")
    if not values:
        return 0
    indicators = await lookup.indicators_by_code(session, (v.indicator_code for v in values))
    parsed = _parsed(values, indicators, utc_today())
    units = await _units(session, values, worker_teams)
    clean = _cleaned(parsed, indicators, units)
    by_id = {i.indicator_id: i for i in indicators.values()}
    current = await writer.current_values(session, [writer.key_of(r) for r in clean])
    beside, changed = _to_change(clean, current, by_id, source_kind)
    await _refuse_locked(session, changed, indicators)
    who = actor_name(actor)
    provenance = writer.Provenance(
        source=IMPORT_SOURCE,
        source_agency={k: v.source_agency for k, v in by_id.items()},
        created_by=who,
        import_id=import_id[:100],
        source_kind=source_kind,
    )
    recorded = await writer.insert_revisions(session, changed, current, provenance)
    await writer.insert_figures(session, clean, [not kept for kept in beside], provenance)
    transitions = await writer.touch_periods(
        session, (writer.period_key_of(r) for r in changed), who
    )
    unchanged = len(clean) - recorded - sum(beside)
    await writer.record_event(
        session,
        caller=actor,
        entity_type="import",
        entity_id=import_id[:120],
        recorded=recorded,
        unchanged=unchanged,
        transitions=transitions,
        codes={k: v.code for k, v in by_id.items()},
    )
    log.info(
        "indicator_values.imported",
        import_id=import_id[:100],
        recorded=recorded,
        unchanged=unchanged,
        kept_beside_authoritative=sum(beside),
    )
    return recorded
