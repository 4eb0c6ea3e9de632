"""Partner submissions: every row checked, then recorded as new draft revisions.

Rules: the indicator and org unit codes are known; the period is whole, complete (ended before
today) and allowed by the indicator's frequency; only the indicator's source agency (or
council performance staff) submits it; counts are whole and non-negative; a percentage has
numerator ≤ denominator; a published (approved) period is locked; a figure whose current
value came from the indicator's authoritative export (an import) is not replaced by a
submission — it is corrected by a new import; a key appears once per batch. All-or-nothing
(default): any rejected row and nothing is written. Partial: the good rows are written. Dry
run: nothing is written either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.periods import Period, PeriodError
from services.kpis.submissions import repository
from services.kpis.submissions.schemas import (
    CSV_COLUMNS,
    SubmissionCreate,
    SubmissionRow,
)
from services.kpis.values import lookup, writer
from services.kpis.values.rules import CleanValue, IndicatorInfo, check_period, derive_value
from shared.clock import utc_today
from shared.identity import Caller
from shared.logs import get_logger
from shared.problems import Forbidden, NotFound, invalid

log = get_logger(__name__)
SUBMISSION_SOURCE = "submission"


def rows_from_csv(
    lines: Sequence[dict[str, str | None]],
) -> tuple[list[SubmissionRow | None], dict[int, list[str]]]:
    """CSV records → rows; a record that does not parse becomes reasons for its row."""
    rows: list[SubmissionRow | None] = []
    problems: dict[int, list[str]] = {}
    for index, record in enumerate(lines):
        data = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items() if k}
        data = {k: v for k, v in data.items() if v not in (None, "")}
        unknown = set(data) - set(CSV_COLUMNS)
        try:
            if unknown:
                raise ValueError("unknown columns: " + ", ".join(sorted(unknown))[:200])
            rows.append(SubmissionRow.model_validate(data))
        except ValidationError as exc:
            rows.append(None)
            problems[index] = [
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            ]
        except ValueError as exc:
            rows.append(None)
            problems[index] = [str(exc)]
    return rows, problems


def rows_from_json(
    items: Sequence[object],
) -> tuple[list[SubmissionRow | None], dict[int, list[str]]]:
    """JSON rows → rows, each judged on its own: a row that does not parse (a value that is
    not a number, a missing field) becomes reasons for that row only. Reasons name fields,
    never the submitted values."""
    rows: list[SubmissionRow | None] = []
    problems: dict[int, list[str]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            rows.append(None)
            problems[index] = ["row: not an object"]
            continue
        try:
            rows.append(SubmissionRow.model_validate(item))
        except ValidationError as exc:
            rows.append(None)
            problems[index] = [
                f"{'.'.join(str(p) for p in e['loc'])[:60]}: {e['msg']}"
                for e in exc.errors(include_input=False)
            ]
    return rows, problems


def _checked_row(
    caller: Caller,
    row: SubmissionRow,
    indicators: dict[str, Any],
    units: dict[str, Any],
    today: date,
    problems: list[str],
) -> CleanValue | None:
    """The row as a clean value, or None with its reasons added to ``problems``."""
    info = indicators.get(row.indicator)
    unit = units.get(row.org_unit)
    if info is None:
        problems.append("indicator: unknown code")
    if unit is None:
        problems.append("org_unit: unknown code")
    try:
        period: Period | None = Period.parse(row.period)
    except PeriodError as exc:
        problems.append(f"period: {exc}")
        period = None
    if info is None or unit is None or period is None:
        return None
    if not access.may_submit_for(caller, info.source_agency):
        problems.append(f"indicator: only {info.source_agency} submits {info.code}")
    try:
        check_period(info, period, today)
    except ValueError as exc:
        problems.append(f"period: {exc}")
    try:
        value, num, den = derive_value(info, row.value, row.numerator, row.denominator)
    except ValueError as exc:
        problems.append(f"value: {exc}")
        return None
    if problems:
        return None
    return CleanValue(info.indicator_id, unit[0], period, value, num, den, row.comment)


def _row_results(
    count: int,
    rejected: set[int],
    reasons: dict[int, list[str]],
    unchanged: set[int],
    clean: dict[int, CleanValue],
    changed: dict[int, CleanValue],
    current: dict[Any, Any],
) -> list[dict[str, object]]:
    """One report line per row, in order: rejected (with reasons), unchanged or accepted
    (with the revision it has or will have)."""
    results: list[dict[str, object]] = []
    for index in range(count):
        if index in rejected:
            status, reasons_of, revision = "rejected", reasons[index], None
        elif index in unchanged:
            status, reasons_of = "unchanged", []
            revision = current[writer.key_of(clean[index])].revision
        else:
            cur_or_none = current.get(writer.key_of(changed[index]))
            status, reasons_of = "accepted", []
            revision = (cur_or_none.revision if cur_or_none else 0) + 1
        results.append(
            {"row": index + 1, "status": status, "reasons": reasons_of, "revision": revision}
        )
    return results


def _refuse_over_authoritative(
    changed: dict[int, CleanValue],
    current: dict[writer.Key, writer.Current],
    indicators: Iterable[IndicatorInfo],
    reasons: dict[int, list[str]],
) -> None:
    """A row whose current figure is the indicator's authoritative export's is refused (and
    dropped from ``changed``): a partner's figure never silently replaces it."""
    authoritative = {i.indicator_id: i.authoritative_source for i in indicators}
    for i, c in list(changed.items()):
        source = authoritative.get(c.indicator_id)
        if writer.keeps_authoritative(source, SUBMISSION_SOURCE, current.get(writer.key_of(c))):
            reasons[i].append(
                f"value: the current figure comes from the {source} import, this indicator's "
                "authoritative source; it is corrected by a new import, not a submission"
            )
            del changed[i]


#: the HTTP status of each outcome of a submission (the report's ``status``)
STATUS_CODES = {"recorded": 201, "checked": 200, "rejected": 422}


async def _named(
    session: AsyncSession, rows: Sequence[SubmissionRow | None]
) -> tuple[dict[str, IndicatorInfo], dict[str, Any]]:
    """The indicators and org units the rows name, by code."""
    present = [r for r in rows if r is not None]
    indicators = await lookup.indicators_by_code(session, (r.indicator for r in present))
    units = await lookup.org_units_by_code(session, (r.org_unit for r in present))
    return indicators, units


def _clean_rows(
    caller: Caller,
    rows: Sequence[SubmissionRow | None],
    indicators: dict[str, IndicatorInfo],
    units: dict[str, Any],
    reasons: dict[int, list[str]],
) -> dict[int, CleanValue]:
    """Each row checked on its own; a row repeating an earlier one's key is refused."""
    today = utc_today()
    clean: dict[int, CleanValue] = {}
    seen: dict[writer.Key, int] = {}
    for index, row in enumerate(rows):
        if row is None:
            continue
        problems = reasons.setdefault(index, [])
        candidate = _checked_row(caller, row, indicators, units, today, problems)
        if candidate is None:
            continue
        key = writer.key_of(candidate)
        if key in seen:
            problems.append(f"duplicate of row {seen[key] + 1}")
            continue
        seen[key] = index
        clean[index] = candidate
    return clean


async def _against_current(
    session: AsyncSession, clean: dict[int, CleanValue]
) -> tuple[dict[writer.Key, writer.Current], set[int], dict[int, CleanValue]]:
    """The current figures of the clean rows' keys, the rows that would change nothing,
    and the rows that change a figure."""
    current = await writer.current_values(session, [writer.key_of(c) for c in clean.values()])
    unchanged = {
        i for i, c in clean.items() if writer.is_unchanged(c, current.get(writer.key_of(c)))
    }
    return current, unchanged, {i: c for i, c in clean.items() if i not in unchanged}


async def _refuse_locked(
    session: AsyncSession, changed: dict[int, CleanValue], reasons: dict[int, list[str]]
) -> None:
    """A row of a published (locked) period is refused and dropped from ``changed``."""
    states = await writer.period_states(
        session, {writer.period_key_of(c) for c in changed.values()}
    )
    for i, c in list(changed.items()):
        if states.get(writer.period_key_of(c)) == writer.LOCKED_STATE:
            reasons[i].append("period: published and locked; reopen it to correct a value")
            del changed[i]


def _outcome(body: SubmissionCreate, rejected: set[int]) -> str:
    """recorded (written), rejected (all-or-nothing with a bad row) or checked (dry run)."""
    all_or_nothing = body.mode == "all_or_nothing"
    if all_or_nothing and rejected:
        return "rejected"
    return "checked" if body.dry_run else "recorded"


async def _record(
    session: AsyncSession,
    caller: Caller,
    report: dict[str, Any],
    kept: list[CleanValue],
    changed: dict[int, CleanValue],
    current: dict[writer.Key, writer.Current],
    indicators: dict[str, IndicatorInfo],
) -> None:
    """The submission, its changed figures as new revisions and every figure it gave kept
    as the submission's (for the reconciliation), the periods touched, one event."""
    submission_id = uuid.UUID(report["submission_id"])
    rows_to_write = list(changed.values())
    by_id = {i.indicator_id: i for i in indicators.values()}
    who = access.actor_name(caller)
    await repository.add_submission(session, submission_id, caller, report)
    provenance = writer.Provenance(
        source=caller.agency,
        source_agency={k: v.source_agency for k, v in by_id.items()},
        created_by=who,
        submission_id=submission_id,
        source_kind=SUBMISSION_SOURCE,
    )
    await writer.insert_revisions(session, rows_to_write, current, provenance)
    await writer.insert_figures(session, kept, [True] * len(kept), provenance)
    transitions = await writer.touch_periods(
        session, (writer.period_key_of(r) for r in rows_to_write), who
    )
    await writer.record_event(
        session,
        caller=caller,
        entity_type="submission",
        entity_id=str(submission_id),
        recorded=report["accepted"],
        unchanged=report["unchanged"],
        transitions=transitions,
        codes={k: v.code for k, v in by_id.items()},
    )
    log.info(
        "submission.recorded",
        submission_id=report["submission_id"],
        accepted=report["accepted"],
        unchanged=report["unchanged"],
        rejected=report["rejected"],
    )


async def submit(
    session: AsyncSession,
    caller: Caller,
    body: SubmissionCreate,
    *,
    parse_problems: dict[int, list[str]] | None = None,
    parsed: Sequence[SubmissionRow | None] | None = None,
) -> dict[str, Any]:
    """The submission checked row by row and, unless a dry run or an all-or-nothing batch
    with a bad row, recorded; its report (``status``: recorded, checked or rejected; see
    :data:`STATUS_CODES`)."""
    if not access.can_write(caller):
        raise Forbidden("your role may not submit values")
    rows: Sequence[SubmissionRow | None] = parsed if parsed is not None else body.rows
    reasons: dict[int, list[str]] = {i: list(r) for i, r in (parse_problems or {}).items()}
    indicators, units = await _named(session, rows)
    clean = _clean_rows(caller, rows, indicators, units, reasons)
    current, unchanged, changed = await _against_current(session, clean)
    await _refuse_locked(session, changed, reasons)
    _refuse_over_authoritative(changed, current, indicators.values(), reasons)
    rejected = {i for i, r in reasons.items() if r}
    outcome = _outcome(body, rejected)
    # built as plain data (SubmissionReport documents it): 10,000 models would cost ~0.5 s
    report: dict[str, Any] = {
        "submission_id": str(uuid.uuid4()) if outcome == "recorded" else None,
        "status": outcome,
        "mode": body.mode,
        "dry_run": body.dry_run,
        "accepted": len(changed),
        "unchanged": len(unchanged),
        "rejected": len(rejected),
        "rows": _row_results(len(rows), rejected, reasons, unchanged, clean, changed, current),
    }
    if outcome == "recorded":
        kept = [clean[i] for i in sorted(clean) if i not in rejected]
        await _record(session, caller, report, kept, changed, current, indicators)
    return report


def require_rows(rows: Sequence[object]) -> None:
    if not rows:
        raise invalid("body", "no rows", "empty", detail="the CSV has no rows")


async def get_submission(
    session: AsyncSession, caller: Caller, submission_id: uuid.UUID
) -> dict[str, object]:
    """A recorded submission, to its own agency or a council manager (else: not found)."""
    found = await repository.get_submission(session, submission_id)
    if found is None or not (found.agency == caller.agency or access.is_council_manager(caller)):
        raise NotFound("no such submission")
    return {
        "submission_id": found.submission_id,
        "agency": found.agency,
        "submitted_by": found.submitted_by,
        "mode": found.mode,
        "accepted": found.accepted,
        "unchanged": found.unchanged,
        "rejected": found.rejected,
        "created_at": found.created_at,
    }
