"""The one clock of the platform: UTC, never the machine's local date or time."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def utc_today() -> date:
    """Today's date in UTC (what "today" means for due dates, periods and deadlines)."""
    return utc_now().date()
