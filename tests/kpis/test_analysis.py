"""RAG with polarity, direction of travel, SPC rules on hand-made series, roll-ups, periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.kpis.periods import Period, PeriodError
from services.kpis.series.analysis import Part, direction, limits, rag, roll_up, spc_signals

D = Decimal


@pytest.mark.parametrize(
    ("value", "polarity", "expected"),
    [
        ("90", "higher", "green"),
        ("85", "higher", "green"),
        ("81", "higher", "amber"),
        ("79.9", "higher", "red"),
        ("80", "lower", "green"),
        ("85", "lower", "green"),
        ("89", "lower", "amber"),
        ("90.1", "lower", "red"),
    ],
)
def test_rag_against_target_with_polarity(value: str, polarity: str, expected: str) -> None:
    assert rag(D(value), D(85), D(5), polarity) == expected


def test_rag_without_target() -> None:
    assert rag(D(1), None, None, "higher") is None


def test_direction_of_travel() -> None:
    assert direction(D(5), D(4), "higher") == "improving"
    assert direction(D(5), D(4), "lower") == "worsening"
    assert direction(D(4), D(4), "lower") == "same"
    assert direction(D(4), None, "lower") is None


FLAT = [10.0, 11.0, 9.0, 10.0, 11.0, 9.0, 10.0, 11.0, 9.0, 10.0, 11.0, 9.0]


def test_no_signal_on_common_cause_variation() -> None:
    assert all(s == [] for s in spc_signals(FLAT))


def test_point_beyond_three_sigma() -> None:
    values = [*FLAT, 30.0]
    lim = limits(values)
    assert lim is not None
    assert values[-1] > lim.upper
    signals = spc_signals(values)
    assert signals[-1] == ["beyond_limits"]
    assert all("beyond_limits" not in s for s in signals[:-1])


def test_run_of_seven_on_one_side_of_the_mean() -> None:
    values = [10.0, 9.0, 10.5, 9.5, 12.0, 12.5, 12.2, 12.8, 12.1, 12.4, 12.3, 8.0, 8.5]
    signals = spc_signals(values)
    assert [i for i, s in enumerate(signals) if "run" in s] == list(range(4, 11))


def test_six_on_one_side_is_not_a_run() -> None:
    values = [10.0, 9.0, 10.5, 9.5, 12.0, 12.5, 12.2, 12.8, 12.1, 12.4, 8.0, 8.5, 9.0]
    assert not any("run" in s for s in spc_signals(values))


def test_trend_of_seven_rising() -> None:
    values = [10.0, 12.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 6.5, 11.0]
    signals = spc_signals(values)
    assert [i for i, s in enumerate(signals) if "trend" in s] == list(range(3, 10))


def test_six_rising_is_not_a_trend() -> None:
    values = [10.0, 12.0, 9.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 5.5, 11.0]
    assert not any("trend" in s for s in spc_signals(values))


def test_roll_up_from_numerators_never_averages_percentages() -> None:
    # team A 1/2 = 50 %, team B 90/100 = 90 %: the mean of percentages would be 70 %
    total = roll_up("percentage", [Part(D(50), 1, 2), Part(D(90), 90, 100)])
    assert total == Part(D("89.2157"), 91, 102)


def test_roll_up_counts_and_rates() -> None:
    assert roll_up("count", [Part(D(3), None, None), Part(D(4), None, None)]) == Part(
        D(7), None, None
    )
    rate = roll_up("rate_per_10000", [Part(D(1), 10, 1000), Part(D(1), 30, 3000)])
    assert rate == Part(D(100), 40, 4000)
    assert roll_up("percentage", [Part(D(50), None, None)]) is None


@pytest.mark.parametrize(
    ("text", "start", "end", "kind"),
    [
        ("2017-05", date(2017, 5, 1), date(2017, 5, 31), "month"),
        ("2017/18", date(2017, 4, 1), date(2018, 3, 31), "year"),
        ("2017/18-Q4", date(2018, 1, 1), date(2018, 3, 31), "quarter"),
        ("2017/18-YTD-02", date(2017, 4, 1), date(2018, 2, 28), "ytd"),
    ],
)
def test_periods_financial_years(text: str, start: date, end: date, kind: str) -> None:
    period = Period.parse(text)
    assert (period.start, period.end, period.type) == (start, end, kind)
    assert period.label == text
    assert Period.from_dates(kind, start, end) == period


def test_bad_periods() -> None:
    for text in ("2017/13", "2017/19", "2017-18-Q5", "17-05"):
        with pytest.raises(PeriodError):
            Period.parse(text)
    with pytest.raises(PeriodError):
        Period.from_dates("month", date(2017, 5, 2), date(2017, 5, 31))
