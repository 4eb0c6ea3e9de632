"""Statistics rows in the shape the KPI service's submissions accept.

Each row is one indicator value for one calendar month and one org unit:
``indicator_code``, ``period_type`` (always ``month``), ``period_start``, ``period_end``,
``org_unit_code``, ``numerator``, ``denominator``, ``value`` (and ``comment``), the fields of
``services.kpis.contract.ComputedValue``. Percentages carry numerator and denominator and
``value`` = 100 × numerator / denominator rounded to one decimal; counts carry ``value`` =
``numerator`` and no denominator. ``breakdown`` (not part of the KPI shape) names the cut
when it is not an org unit (a programme).

Indicators: ``QA-AUDITS-GRADED`` (count), ``QA-GRADE-OUTSTANDING``, ``QA-GRADE-GOOD``,
``QA-GRADE-RI``, ``QA-GRADE-INADEQUATE`` (% of graded audits: the grade distribution),
``QA-GOOD-OR-BETTER`` (%), by the month of ``audit_date``, over submitted, moderated and
closed audits, using the moderated grade where there is one; ``QA-RECHECK-EFFECTIVE`` (% of
re-checks, by the month of the re-check); ``QA-FINDINGS-OVERDUE`` and ``QA-RECHECKS-OVERDUE``
(counts as at today, reported in today's month).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

By = Literal["agency", "team", "programme", "month"]


class StatisticRow(BaseModel):
    indicator_code: str
    period_type: Literal["month"] = "month"
    period_start: date
    period_end: date
    org_unit_code: str
    numerator: int | None
    denominator: int | None
    value: Decimal | None
    comment: str | None = None
    breakdown: dict[str, str] = {}


class Statistics(BaseModel):
    by: By
    rows: list[StatisticRow]
