"""The hand-over between case-management imports and the values of the KPI service.

An import computes indicator values from a case-management export and hands them to the
values domain as draft values of the source "case management import", carrying the import
id, ready for the approval flow. Both sides code against these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

#: The source name every imported value carries.
IMPORT_SOURCE = "case-management-import"

PeriodType = Literal["month", "quarter", "year", "ytd"]


@dataclass(frozen=True)
class ComputedValue:
    """One indicator value for one period and one org unit.

    ``period_type``: ``month`` (a calendar month), ``quarter`` (a financial quarter),
    ``year`` (a financial year, April to March) or ``ytd`` (financial year to date: from
    1 April to ``period_end``). ``org_unit_code`` is the authority's code, a team's code or
    a worker's staff code. Percentages and rates carry ``numerator`` and ``denominator`` (a
    rate's denominator is the 0–17 population); counts carry ``value`` (or ``numerator``).
    """

    indicator_code: str
    period_type: PeriodType
    period_start: date
    period_end: date
    org_unit_code: str
    value: Decimal | None = None
    numerator: int | None = None
    denominator: int | None = None
    comment: str | None = None
