"""The CIN census's own measures, besides the flows every import computes (``compute.py``).

For the collection year of the census (April to March, the reference date 31 March), at
the authority only (the census names no team or worker):

Values of the whole year (``year`` periods, 1 April to 31 March) unless said otherwise.

- ``CP_PLANS_ENDED``: plans ending in the month (and year to date), with ``CP_ENDED_2Y``,
  the share of them that had lasted two years or more (end date on or after the start
  date plus two calendar years: a plan from 29 February 2020 reaches two years on
  28 February 2022);
- ``CIN_31MAR``: children with a children-in-need episode open on the reference date
  (referral on or before it, no closure or a closure after it; referrals closed with no
  further action are no episode);
- ``CIN_IN_YEAR``: children with an episode open on any day of the year;
- ``CIN_DISABLED``: of the children in need on the reference date, those recorded with a
  disability (percentage, numerator and denominator);
- ``CIN_FACTOR_<code>``: assessments authorised in the year at which the factor was
  identified (kept with the import; the KPI catalogue does not define them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.db import SCHEMA
from services.kpis.imports import cin_specs as cs
from services.kpis.imports.compute import Flow, Scope, _Out, _pct, fy_start

#: the factor counts: kept with the import, not handed to the values domain
NOT_CATALOGUED: frozenset[str] = frozenset(f"{cs.FACTOR_PREFIX}{code}" for code in cs.ALL_FACTORS)

FLOWS = (
    Flow(
        "cm_cp_plan",
        "end_date",
        "CP_PLANS_ENDED",
        {"CP_ENDED_2Y": "end_date >= (start_date + interval '2 years')::date"},
        where="end_date IS NOT NULL",
    ),
)

_CHILDREN = f"""
    SELECT count(DISTINCT child) FILTER (
               WHERE start_date <= :reference
                 AND (end_date IS NULL OR end_date > :reference)) AS at_reference,
           count(DISTINCT child) FILTER (
               WHERE start_date <= :reference AND disabled
                 AND (end_date IS NULL OR end_date > :reference)) AS disabled,
           count(DISTINCT child) FILTER (
               WHERE start_date <= :reference
                 AND (end_date IS NULL OR end_date >= :first)) AS in_year
    FROM {SCHEMA}.cm_cin_episode WHERE import_id = :import_id
"""  # noqa: S608 - the schema is a constant

_FACTORS = f"""
    SELECT factor, count(*) AS n FROM {SCHEMA}.cm_assessment_factor
    WHERE import_id = :import_id AND authorised_date BETWEEN :first AND :reference
    GROUP BY factor ORDER BY factor
"""  # noqa: S608


async def extras(session: AsyncSession, scope: Scope) -> list[ComputedValue]:
    """The census's snapshot and factor measures (the flows: :data:`FLOWS`)."""
    out = _Out(scope)
    reference = scope.reference_date
    first = fy_start(reference)
    params: dict[str, Any] = {
        "import_id": scope.import_id,
        "reference": reference,
        "first": first,
    }
    row = (await session.execute(text(_CHILDREN), params)).mappings().one()
    at_reference, disabled = int(row["at_reference"]), int(row["disabled"])
    in_year = int(row["in_year"])
    year: list[tuple[str, Decimal | int | None, int, int | None]] = [
        ("CIN_31MAR", at_reference, at_reference, None),
        ("CIN_IN_YEAR", in_year, in_year, None),
    ]
    if at_reference:  # a percentage of no child is no value
        year.append(("CIN_DISABLED", _pct(disabled, at_reference), disabled, at_reference))
    for factor, n in (await session.execute(text(_FACTORS), params)).all():
        year.append((f"{cs.FACTOR_PREFIX}{factor}", int(n), int(n), None))
    for code, value, numerator, denominator in year:
        out.values.append(
            ComputedValue(
                indicator_code=code,
                period_type="year",
                period_start=first,
                period_end=reference,
                org_unit_code=scope.authority,
                value=None if value is None else Decimal(value),
                numerator=numerator,
                denominator=denominator,
            )
        )
    return out.values
