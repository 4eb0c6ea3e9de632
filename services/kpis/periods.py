"""Periods of indicator values: calendar months, financial quarters and years, year to date.

Financial years run from 1 April to 31 March and are named by their first year (2017 is
April 2017 to March 2018). A period is written as text in the API:

- ``2017-05`` a calendar month;
- ``2017/18-Q1`` a financial quarter (Q1 = April to June);
- ``2017/18`` a financial year;
- ``2017/18-YTD-05`` the financial year to date, 1 April 2017 to the end of May 2017.

A period belongs to a financial year from :data:`MIN_YEAR` to :data:`MAX_YEAR`; outside
them it is a :class:`PeriodError` (a 422 naming the field), never a date overflow (year 0,
``9999/00``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

PeriodType = Literal["month", "quarter", "year", "ytd"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year", "ytd")
#: the financial years a period may belong to (2998 = April 2998 to March 2999)
MIN_YEAR = 1900
MAX_YEAR = 2998
_PATTERN = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<m>\d{2})|/(?P<y2>\d{2})(?:-Q(?P<q>[1-4])|-YTD-(?P<ytdm>\d{2}))?)$"
)


class PeriodError(ValueError):
    """A period that is malformed or not a whole month, quarter or year."""


@lru_cache(maxsize=4096)
def month_end(year: int, month: int) -> date:
    """The last day of a month (cached: an import checks thousands of values of a few
    dozen months)."""
    return date(year, month, calendar.monthrange(year, month)[1])


def financial_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date
    type: PeriodType

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), month_end(year, month), "month")

    @classmethod
    def fy(cls, year: int) -> Period:
        return cls(date(year, 4, 1), date(year + 1, 3, 31), "year")

    @classmethod
    def quarter(cls, year: int, q: int) -> Period:
        y, m = _add_months(year, 4, 3 * (q - 1))
        ey, em = _add_months(y, m, 2)
        return cls(date(y, m, 1), month_end(ey, em), "quarter")

    @classmethod
    def ytd(cls, end_year: int, end_month: int) -> Period:
        end = month_end(end_year, end_month)
        return cls(date(financial_year(end), 4, 1), end, "ytd")

    @classmethod
    def parse(cls, text: str) -> Period:
        """A period from its text form (batches repeat a few periods: answers are cached)."""
        period = _parse(text)
        _check_year(period.fiscal_year)
        return period

    @classmethod
    def _parse_uncached(cls, text: str) -> Period:
        found = _PATTERN.match(text.strip())
        if not found:
            raise PeriodError("expected YYYY-MM, YYYY/YY, YYYY/YY-Qn or YYYY/YY-YTD-MM")
        year = int(found["y"])
        if not MIN_YEAR <= year <= MAX_YEAR + 1:  # before building dates (year 0, 9999/00)
            raise PeriodError(_YEARS)
        if found["m"]:
            month = int(found["m"])
            if not 1 <= month <= 12:
                raise PeriodError("month must be 01 to 12")
            return cls.month(year, month)
        if int(found["y2"]) != (year + 1) % 100:
            raise PeriodError("a financial year is written like 2017/18")
        if found["q"]:
            return cls.quarter(year, int(found["q"]))
        if found["ytdm"]:
            month = int(found["ytdm"])
            if not 1 <= month <= 12:
                raise PeriodError("month must be 01 to 12")
            return cls.ytd(year if month >= 4 else year + 1, month)
        return cls.fy(year)

    @classmethod
    def from_dates(cls, period_type: str, start: date, end: date) -> Period:
        """Check that (type, start, end) is a whole period of that type."""
        _check_year(financial_year(start))
        _check_year(financial_year(end))
        if period_type == "month":
            candidate = cls.month(start.year, start.month)
        elif period_type == "year":
            candidate = cls.fy(financial_year(start))
        elif period_type == "quarter":
            fy = financial_year(start)
            q = ((start.month - 4) % 12) // 3 + 1
            candidate = cls.quarter(fy, q)
        elif period_type == "ytd":
            candidate = cls.ytd(end.year, end.month)
        else:
            raise PeriodError("unknown period type")
        if (candidate.start, candidate.end) != (start, end):
            raise PeriodError(f"not a whole {period_type}: {start} to {end}")
        return candidate

    @property
    def fiscal_year(self) -> int:
        return financial_year(self.start)

    @property
    def label(self) -> str:
        fy = self.fiscal_year
        fy_label = f"{fy}/{(fy + 1) % 100:02d}"
        if self.type == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.type == "year":
            return fy_label
        if self.type == "quarter":
            return f"{fy_label}-Q{((self.start.month - 4) % 12) // 3 + 1}"
        return f"{fy_label}-YTD-{self.end.month:02d}"

    def is_complete(self, today: date) -> bool:
        """The period has ended before ``today`` (so nothing in it is still to come)."""
        return self.end < today


_YEARS = (
    f"the financial year must be {MIN_YEAR}/{(MIN_YEAR + 1) % 100:02d} "
    f"to {MAX_YEAR}/{(MAX_YEAR + 1) % 100:02d}"
)


def _check_year(fiscal_year: int) -> None:
    if not MIN_YEAR <= fiscal_year <= MAX_YEAR:
        raise PeriodError(_YEARS)


@lru_cache(maxsize=4096)
def _parse(text: str) -> Period:
    return Period._parse_uncached(text)
