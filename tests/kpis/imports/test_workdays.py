"""The working-day convention on boundary dates (England and Wales bank holidays)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from services.kpis.imports.workdays import is_working_day, working_days, working_days_expr

CASES = [
    # (start, end, working days after start up to and including end, why)
    (date(2020, 6, 1), date(2020, 6, 1), 0, "same day is day 0"),
    (date(2020, 6, 1), date(2020, 6, 2), 1, "next weekday is day 1"),
    (date(2020, 6, 5), date(2020, 6, 8), 1, "Friday to Monday: the weekend does not count"),
    (date(2020, 6, 5), date(2020, 6, 6), 0, "Friday to Saturday: still day 0"),
    (date(2020, 6, 6), date(2020, 6, 8), 1, "a weekend start: Monday is day 1"),
    (date(2020, 6, 5), date(2020, 6, 12), 5, "Friday to Friday: one working week"),
    (date(2020, 12, 24), date(2020, 12, 29), 1, "Christmas, Boxing Day observed on Monday 28th"),
    (date(2020, 12, 23), date(2021, 1, 4), 5, "Christmas to New Year 2020/21"),
    (date(2019, 12, 24), date(2019, 12, 27), 1, "Christmas and Boxing Day on weekdays"),
    (date(2020, 4, 9), date(2020, 4, 14), 1, "Easter 2020: Good Friday and Easter Monday"),
    (date(2021, 4, 1), date(2021, 4, 6), 1, "Easter 2021"),
    (date(2020, 5, 7), date(2020, 5, 11), 1, "VE day: the May bank holiday moved to Friday 8th"),
    (date(2020, 5, 1), date(2020, 5, 4), 1, "Monday 4 May 2020 was a working day (moved)"),
    (date(2019, 5, 3), date(2019, 5, 7), 1, "Monday 6 May 2019 was the usual bank holiday"),
    (date(2022, 6, 1), date(2022, 6, 6), 1, "Platinum Jubilee 2 and 3 June 2022"),
    (date(2020, 1, 1), date(2020, 3, 4), 45, "45 working days from 1 January 2020"),
    (date(2020, 1, 1), date(2020, 3, 5), 46, "one day more is over 45"),
]


@pytest.mark.parametrize(("start", "end", "expected", "why"), CASES)
def test_working_days(start: date, end: date, expected: int, why: str) -> None:
    assert working_days(start, end) == expected, why


def test_vectorised_count_agrees_with_the_rule() -> None:
    frame = pl.DataFrame(
        {"start": [c[0] for c in CASES], "end": [c[1] for c in CASES]}
    ).with_columns(wd=working_days_expr("start", "end"))
    assert frame["wd"].to_list() == [c[2] for c in CASES]


def test_end_before_start_is_negative() -> None:
    assert working_days(date(2020, 6, 8), date(2020, 6, 5)) == -1


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2020, 5, 8), False),  # VE day
        (date(2020, 5, 4), True),
        (date(2020, 12, 28), False),  # Boxing Day observed
        (date(2020, 4, 10), False),  # Good Friday
        (date(2020, 4, 13), False),  # Easter Monday
        (date(2020, 6, 6), False),  # Saturday
        (date(2020, 8, 31), False),  # summer bank holiday (England, not Scotland)
        (date(2020, 8, 3), True),  # Scotland's summer bank holiday is not England's
    ],
)
def test_bank_holidays_of_england_and_wales(day: date, working: bool) -> None:
    assert is_working_day(day) is working
