"""Working days: Monday to Friday, less England and Wales bank holidays.

Counting convention (DfE timescales): ``working_days(start, end)`` is the number of working
days AFTER ``start`` up to and INCLUDING ``end``. The day of the event that starts the clock
is day 0, whatever day it is; the next working day is day 1. So an assessment started on a
Friday and authorised the next Monday took 1 working day; one authorised the same day took
0; a weekend or bank-holiday end date counts as the working day before it. ``end`` before
``start`` gives a negative count (a data error the validation reports).

Bank holidays come from the ``holidays`` package, subdivision England (England and Wales
share them), including moved and substitute days (the 2020 early May bank holiday moved to
Friday 8 May for VE day; Boxing Day observed on Monday 28 December 2020).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import holidays
import polars as pl

FIRST_YEAR = 2000
LAST_YEAR = 2040


@cache
def bank_holidays() -> tuple[date, ...]:
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(FIRST_YEAR, LAST_YEAR + 1))
    return tuple(sorted(days.keys()))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in set(bank_holidays())


def working_days(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (see the module docstring)."""
    if end < start:
        return -working_days(end, start)
    hols = set(bank_holidays())
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        if day.weekday() < 5 and day not in hols:
            count += 1
        day += timedelta(days=1)
    return count


def working_days_expr(start: str, end: str) -> pl.Expr:
    """The same count as a polars expression over two date columns (vectorised)."""
    return pl.business_day_count(
        pl.col(start) + pl.duration(days=1),
        pl.col(end) + pl.duration(days=1),
        holidays=list(bank_holidays()),
    )
