"""The CIN census measures worked out in plain Python over generated children, for tests.

Independent of the import: its own working-day count (the ``holidays`` package directly),
its own 12-month and two-year arithmetic, no SQL.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, timedelta
from functools import cache

import holidays

from services.kpis.imports.cin_generator import Child


@cache
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def working_days(start: date, end: date) -> int:
    """Days after ``start`` up to and including ``end``, Monday to Friday, less bank
    holidays in England."""
    count, day = 0, start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in _bank_holidays(day.year):
            count += 1
        day += timedelta(days=1)
    return count


def years_later(day: date, years: int) -> date:
    year = day.year + years
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def expected(children: list[Child], year: int) -> dict[str, tuple[int, int | None]]:
    """Indicator code → (numerator, denominator) for the collection year ``year``."""
    first, last = date(year, 4, 1), date(year + 1, 3, 31)

    def inside(day: date | None) -> bool:
        return day is not None and first <= day <= last

    out: Counter[str] = Counter()
    factors: Counter[str] = Counter()
    cin_now: set[str] = set()
    cin_year: set[str] = set()
    disabled_now: set[str] = set()
    for child in children:
        dates = [d.referral for d in child.details]
        plans = [p for d in child.details for p in d.plans]
        disabled = any(code != "NONE" for code in child.disabilities)
        for d in child.details:
            if inside(d.referral):
                out["REFERRALS"] += 1
                back = years_later(d.referral, -1)
                out["RE_REFERRALS"] += any(back <= other < d.referral for other in dates)
                out["REFERRALS_NFA"] += bool(d.nfa)
            if not d.nfa and d.referral <= last:
                if d.closure is None or d.closure > last:
                    cin_now.add(child.id)
                    if disabled:
                        disabled_now.add(child.id)
                if d.closure is None or d.closure >= first:
                    cin_year.add(child.id)
            for a in d.assessments:
                if a.authorised is not None and inside(a.authorised):
                    out["ASSESSMENTS"] += 1
                    out["ASSESS_45WD"] += working_days(a.start, a.authorised) <= 45
                    factors.update(set(a.factors))
            for s in d.section47:
                out["S47_ENQUIRIES"] += inside(s.start)
                if s.icpc is not None and inside(s.icpc):
                    out["ICPCS"] += 1
                    out["ICPC_15WD"] += working_days(s.start, s.icpc) <= 15
            for p in d.plans:
                if inside(p.start):
                    out["CP_PLANS_STARTED"] += 1
                    earlier = any(o.start < p.start for o in plans)
                    out["CP_SECOND"] += bool(p.previous) or earlier
                if p.end is not None and inside(p.end):
                    out["CP_PLANS_ENDED"] += 1
                    out["CP_ENDED_2Y"] += p.end >= years_later(p.start, 2)
    whole = {
        "RE_REFERRALS": "REFERRALS",
        "REFERRALS_NFA": "REFERRALS",
        "ASSESS_45WD": "ASSESSMENTS",
        "ICPC_15WD": "ICPCS",
        "CP_SECOND": "CP_PLANS_STARTED",
        "CP_ENDED_2Y": "CP_PLANS_ENDED",
    }
    result: dict[str, tuple[int, int | None]] = {}
    for code in (*whole.values(), "S47_ENQUIRIES"):
        result[code] = (out[code], out[code])
    for code, of in whole.items():
        result[code] = (out[code], out[of])
    result["CIN_31MAR"] = (len(cin_now), len(cin_now))
    result["CIN_IN_YEAR"] = (len(cin_year), len(cin_year))
    result["CIN_DISABLED"] = (len(disabled_now), len(cin_now))
    for factor, n in factors.items():
        result[f"CIN_FACTOR_{factor}"] = (n, n)
    return result
