"""Sprint arithmetic: 12-week (84-day) blocks counted from the plan's start."""

from __future__ import annotations

from datetime import date, timedelta

SPRINT_DAYS = 84


def sprint_bounds(plan_start: date, number: int) -> tuple[date, date]:
    """First and last day of sprint ``number`` (1-based). Sprint 2 = weeks 13-24."""
    start = plan_start + timedelta(days=SPRINT_DAYS * (number - 1))
    return start, start + timedelta(days=SPRINT_DAYS - 1)


def sprint_of(plan_start: date, day: date) -> int:
    """The sprint a day falls in (days before the plan count as sprint 1)."""
    return max(1, (day - plan_start).days // SPRINT_DAYS + 1)


def sprint_count(plan_start: date, plan_end: date) -> int:
    return sprint_of(plan_start, plan_end)
