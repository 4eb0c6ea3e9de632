"""Statistics computed from graded audits and findings (see ``schemas`` for the indicators)."""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import access
from services.audit.statistics import repository as repo
from services.audit.statistics.schemas import By, StatisticRow, Statistics
from shared.clock import utc_today
from shared.identity import Caller
from shared.problems import invalid

GRADE_CODES = {
    "outstanding": "QA-GRADE-OUTSTANDING",
    "good": "QA-GRADE-GOOD",
    "requires_improvement": "QA-GRADE-RI",
    "inadequate": "QA-GRADE-INADEQUATE",
}
ALL = "ALL"


def month_of(day: date) -> tuple[date, date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def percent(numerator: int, denominator: int) -> Decimal:
    return (Decimal(numerator * 100) / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _cut(by: By, row: Any, agency_field: str = "lead_agency") -> tuple[str, dict[str, str]]:
    if by == "agency":
        return getattr(row, agency_field), {}
    if by == "team":
        return row.team_code, {}
    if by == "programme":
        return row.lead_agency, {"programme_id": str(row.programme_id)}
    return ALL, {}


def _row(
    code: str, month: tuple[date, date], unit: str, cut: dict[str, str], num: int, den: int | None
) -> StatisticRow:
    return StatisticRow(
        indicator_code=code,
        period_start=month[0],
        period_end=month[1],
        org_unit_code=unit,
        numerator=num,
        denominator=den,
        value=Decimal(num) if den is None else percent(num, den),
        breakdown=cut,
    )


def audit_rows(by: By, audits: Iterable[Any]) -> list[StatisticRow]:
    groups: dict[tuple[tuple[date, date], str, tuple[tuple[str, str], ...]], Counter[str]] = (
        defaultdict(Counter)
    )
    for a in audits:
        grade = a.moderated_grade or a.grade
        if grade is None:
            continue
        unit, cut = _cut(by, a)
        groups[(month_of(a.audit_date), unit, tuple(sorted(cut.items())))][grade] += 1
    rows: list[StatisticRow] = []
    for (month, unit, cut_items), grades in sorted(groups.items()):
        cut = dict(cut_items)
        graded = sum(grades.values())
        rows.append(_row("QA-AUDITS-GRADED", month, unit, cut, graded, None))
        for grade, code in GRADE_CODES.items():
            rows.append(_row(code, month, unit, cut, grades[grade], graded))
        good = grades["outstanding"] + grades["good"]
        rows.append(_row("QA-GOOD-OR-BETTER", month, unit, cut, good, graded))
    return rows


def finding_rows(by: By, findings: Iterable[Any], today: date) -> list[StatisticRow]:
    now = month_of(today)
    overdue: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
    recheck_overdue: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
    units: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    rechecks: dict[tuple[tuple[date, date], str, tuple[tuple[str, str], ...]], list[int]] = (
        defaultdict(lambda: [0, 0])
    )
    for f in findings:
        unit, cut = _cut(by, f, agency_field="agency")
        key = (unit, tuple(sorted(cut.items())))
        units.add(key)
        if f.status in ("open", "action_agreed") and f.due_date < today:
            overdue[key] += 1
        if f.status == "done" and f.recheck_due_date is not None and f.recheck_due_date < today:
            recheck_overdue[key] += 1
        if f.rechecked_on is not None and f.recheck_outcome is not None:
            tally = rechecks[(month_of(f.rechecked_on), *key)]
            tally[0] += f.recheck_outcome == "effective"
            tally[1] += 1
    rows: list[StatisticRow] = []
    for unit, cut_items in sorted(units):
        cut = dict(cut_items)
        rows.append(_row("QA-FINDINGS-OVERDUE", now, unit, cut, overdue[(unit, cut_items)], None))
        rows.append(
            _row("QA-RECHECKS-OVERDUE", now, unit, cut, recheck_overdue[(unit, cut_items)], None)
        )
    for (month, unit, cut_items), (effective, done) in sorted(rechecks.items()):
        rows.append(_row("QA-RECHECK-EFFECTIVE", month, unit, dict(cut_items), effective, done))
    return rows


async def statistics(
    session: AsyncSession,
    caller: Caller,
    by: By,
    period_from: date | None,
    period_to: date | None,
    programme_id: int | None,
) -> Statistics:
    """Grade distribution and finding counts of the caller's agency, cut ``by``."""
    access.require_read(caller)
    today = utc_today()
    start = period_from or date(2000, 1, 1)
    end = period_to or today
    if end < start:
        raise invalid(
            "period_to",
            "too early",
            "before_period_from",
            "query",
            detail="period_to is before period_from",
        )
    audits = await repo.graded_audits(session, caller.agency, start, end, programme_id)
    findings = await repo.findings(session, caller.agency, programme_id)
    return Statistics(by=by, rows=audit_rows(by, audits) + finding_rows(by, findings, today))


#: The columns of the statistics table (CSV / XLSX): the KPI row shape, then the cut.
TABLE_FIELDS = [
    "indicator_code",
    "period_type",
    "period_start",
    "period_end",
    "org_unit_code",
    "numerator",
    "denominator",
    "value",
    "comment",
    "breakdown",
]


def table_rows(stats: Statistics) -> list[dict[str, Any]]:
    """One flat row per statistic; ``breakdown`` as ``key=value`` pairs joined by ``;``."""
    return [
        row.model_dump(exclude={"breakdown"})
        | {"breakdown": ";".join(f"{k}={v}" for k, v in sorted(row.breakdown.items()))}
        for row in stats.rows
    ]
