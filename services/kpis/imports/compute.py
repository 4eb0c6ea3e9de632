"""The standard indicators, computed set-wise in PostgreSQL from the child-level store.

Every query reads one import's rows and aggregates by month with ``GROUPING SETS`` for the
three org levels at once: the authority, each allocated team (its code) and each allocated
worker (their staff code). Financial-year-to-date figures are running sums of the monthly
counts (window over the financial year, April to March), so they start with the first
month the export covers (a ``comment`` says so when that is after 1 April).

Conventions: a flow (contacts, referrals, assessments, s47s, ICPCs, plans) counts in the
month of its date: referral date; assessment authorisation date; s47 strategy discussion
date; ICPC date (transfer-in conferences excluded); plan start date. Children in care are
counted on the last day of each month (episode started on or before that day and not
ceased before the end of it — a child who ceased on that day is not counted; legal statuses
V3/V4, short breaks, excluded). Children in need are those with a CIN episode open on any
day of the month. Care leavers are one snapshot at the import's reference date.
An SSDA903 upload of several collection years is computed one year at a time, each from
its own files' rows (``Scope.year_filter``). Percentages carry numerator and denominator;
rates per 10,000 carry the 0–17 population as denominator and are given for the authority
only, when the import names a population.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue, PeriodType
from services.kpis.db import SCHEMA
from services.kpis.imports import codes as cl
from services.kpis.imports.in_need import children_in_need
from services.kpis.imports.org_levels import ORG as _ORG

#: indicator code → (name, unit). The codes are the KPI catalogue's where it has the
#: measure (services/kpis/catalogue.py); the others are computed and kept with the import.
INDICATORS: dict[str, tuple[str, str]] = {
    "CONTACTS": ("Contacts", "count"),
    "REFERRALS": ("Referrals", "count"),
    "REFERRAL_RATE": ("Referrals per 10,000 children", "rate per 10,000"),
    "RE_REFERRALS": ("Re-referrals within 12 months", "percentage"),
    "REFERRALS_NFA": ("Referrals with no further action", "percentage"),
    "ASSESSMENTS": ("Assessments authorised", "count"),
    "ASSESS_45WD": ("Assessments authorised within 45 working days", "percentage"),
    "S47_ENQUIRIES": ("Section 47 enquiries", "count"),
    "ICPCS": ("Initial child protection conferences", "count"),
    "ICPC_15WD": ("ICPCs within 15 working days", "percentage"),
    "CP_PLANS_STARTED": ("Child protection plans started", "count"),
    "CP_SECOND": ("Second or subsequent child protection plans", "percentage"),
    "CIN": ("Children in need", "count"),
    "CIC": ("Children in care at the end of the period", "count"),
    "CIC_INCL_SHORT_BREAKS": ("Children in care, short breaks (V3/V4) included", "count"),
    "CIC_RATE": ("Children in care per 10,000 children", "rate per 10,000"),
    "CL_IN_TOUCH": ("Care leavers in touch", "percentage"),
    "CL_ACCOMMODATION": ("Care leavers in suitable accommodation", "percentage"),
    "CL_EET": ("Care leavers in education, employment or training", "percentage"),
}

#: Measures the KPI catalogue does not define (yet): stored in ``import_value`` but not
#: handed to the values domain, which refuses unknown codes.
NOT_CATALOGUED: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Flow:
    table: str
    date: str
    count_code: str
    #: indicator code → SQL boolean over the row (numerator of a percentage of the count)
    shares: dict[str, str]
    where: str = "true"
    rate_code: str | None = None
    base: str | None = None  # a derived source instead of the table


FLOWS = (
    Flow("cm_contact", "contact_date", "CONTACTS", {}),
    Flow(
        "cm_referral",
        "referral_date",
        "REFERRALS",
        # a re-referral: the export says so, or the child's earlier referral in this import
        # is at most 12 months before (flagged at import: services/kpis/imports/rereferrals.py)
        {"RE_REFERRALS": "rereferral", "REFERRALS_NFA": "coalesce(nfa, false)"},
        rate_code="REFERRAL_RATE",
    ),
    Flow(
        "cm_assessment",
        "authorised_date",
        "ASSESSMENTS",
        {"ASSESS_45WD": "working_days <= 45"},
        where="authorised_date IS NOT NULL",
    ),
    Flow("cm_s47", "s47_date", "S47_ENQUIRIES", {}),
    Flow(
        "cm_s47",
        "icpc_date",
        "ICPCS",
        {"ICPC_15WD": "working_days <= 15"},
        where="icpc_date IS NOT NULL AND NOT transfer_in",
    ),
    Flow(
        "cm_cp_plan",
        "start_date",
        "CP_PLANS_STARTED",
        {"CP_SECOND": "subsequent"},
        base=f"""(SELECT *, coalesce(previous_plans, 0) > 0 OR row_number() OVER (
                    PARTITION BY child ORDER BY start_date) > 1 AS subsequent
                  FROM {SCHEMA}.cm_cp_plan WHERE import_id = :import_id)""",  # noqa: S608
    ),
)


def _flow_sql(flow: Flow) -> str:
    shares = list(flow.shares.values())
    share_cols = "".join(f", count(*) FILTER (WHERE {s}) AS s{i}" for i, s in enumerate(shares))
    ytd_cols = "".join(f", sum(s{i}) OVER ytd AS ytd_s{i}" for i in range(len(shares)))
    month_cols = "".join(f", s{i}" for i in range(len(shares)))
    source = flow.base or f"{SCHEMA}.{flow.table}"
    return f"""
        WITH agg AS (
            SELECT date_trunc('month', {flow.date}::timestamp)::date AS month, {_ORG} AS org,
                   count(*) AS n{share_cols}
            FROM {source} AS src
            WHERE import_id = :import_id AND {flow.where}
              AND {flow.date} BETWEEN :first AND :last
            GROUP BY GROUPING SETS ((1), (1, team), (1, worker))
        )
        SELECT month, org, n, sum(n) OVER ytd AS ytd_n{month_cols}{ytd_cols}
        FROM agg WHERE org IS NOT NULL
        WINDOW ytd AS (
            PARTITION BY org, extract(year FROM month - interval '3 months') ORDER BY month
        )
    """  # noqa: S608 - identifiers are constants of this module


#: SSDA903 rows of the computed year's files only (each year on its own); Annex A: all
_OF_YEAR = "(CAST(:cyear AS integer) IS NULL OR {alias}collection_year = :cyear)"


def _in_care_sql(legal_status: str) -> str:
    """Children with an episode open at the end of each month (a legal status not known
    is not a short break: the child is counted), of the computed year's files."""
    return f"""
        WITH m AS (
            SELECT d::date AS month, (d + interval '1 month - 1 day')::date AS day
            FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') d
        )
        SELECT m.month, {_ORG} AS org, count(DISTINCT e.child) AS n
        FROM m JOIN {SCHEMA}.cm_cla_episode e
          ON e.import_id = :import_id AND e.start_date <= m.day
         AND (e.end_date IS NULL OR e.end_date > m.day)
         {legal_status} AND {_OF_YEAR.format(alias="e.")}
        GROUP BY GROUPING SETS ((m.month), (m.month, team), (m.month, worker))
    """  # noqa: S608


_SNAPSHOT = {
    "CIC": _in_care_sql("AND coalesce(e.legal_status, '') NOT IN ('V3', 'V4')"),
    "CIC_INCL_SHORT_BREAKS": _in_care_sql(""),
}

_CARE_LEAVERS = f"""
    SELECT {_ORG} AS org, count(*) AS n,
           count(*) FILTER (WHERE in_touch = 'YES') AS in_touch,
           count(*) FILTER (WHERE suitable) AS suitable,
           count(*) FILTER (WHERE activity = ANY(:eet)) AS eet
    FROM {SCHEMA}.cm_care_leaver WHERE import_id = :import_id AND {_OF_YEAR.format(alias="")}
    GROUP BY GROUPING SETS ((), (team), (worker))
    HAVING count(*) > 0
"""  # noqa: S608


_WORKER_TEAMS = " UNION ALL ".join(
    f"SELECT worker, team FROM {SCHEMA}.{table} WHERE import_id = :import_id "  # noqa: S608
    "AND worker IS NOT NULL AND team IS NOT NULL"
    for table in (
        "cm_contact",
        "cm_referral",
        "cm_assessment",
        "cm_s47",
        "cm_cin_episode",
        "cm_cp_plan",
        "cm_cla_episode",
        "cm_care_leaver",
    )
)
#: each worker's team: the one most of the worker's rows name (ties: the first by code)
_WORKER_TEAM_SQL = f"""
    SELECT worker, mode() WITHIN GROUP (ORDER BY team) AS team
    FROM ({_WORKER_TEAMS}) AS rows GROUP BY worker
"""  # noqa: S608


def month_end(month: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def fy_start(day: date) -> date:
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def _pct(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _rate(count: int, population: int) -> Decimal:
    return (Decimal(count) * 10000 / Decimal(population)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Scope:
    import_id: uuid.UUID
    authority: str
    first_month: date
    last_month: date
    reference_date: date
    collection_year: int
    population: int | None
    #: SSDA903: only the rows of this collection year's files (``None``: all rows)
    year_filter: int | None = None


class _Out:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.values: list[ComputedValue] = []

    def add(
        self,
        code: str,
        ptype: PeriodType,
        month: date,
        org: str,
        *,
        value: Decimal | int | None,
        numerator: int | None,
        denominator: int | None = None,
    ) -> None:
        start = fy_start(month) if ptype == "ytd" else month
        comment = None
        if ptype == "ytd" and self.scope.first_month > start:
            first = self.scope.first_month.isoformat()
            comment = f"year to date from {first} (first month of the export)"
        self.values.append(
            ComputedValue(
                indicator_code=code,
                period_type=ptype,
                period_start=start,
                period_end=month_end(month),
                org_unit_code=org,
                value=None if value is None else Decimal(value),
                numerator=numerator,
                denominator=denominator,
                comment=comment,
            )
        )


async def worker_teams(session: AsyncSession, import_id: uuid.UUID) -> dict[str, str]:
    """Each worker's team in this import (worker staff code → team code), so the values
    domain places the worker under that team."""
    rows = await session.execute(text(_WORKER_TEAM_SQL), {"import_id": import_id})
    return {str(r[0]): str(r[1]) for r in rows.all()}


async def compute(
    session: AsyncSession, scope: Scope, extra_flows: tuple[Flow, ...] = ()
) -> list[ComputedValue]:
    """Every indicator of ``scope``; ``extra_flows``: an export's own flows besides
    :data:`FLOWS` (the CIN census: ``cin_compute.FLOWS``)."""
    out = _Out(scope)
    params: dict[str, Any] = {
        "import_id": scope.import_id,
        "authority": scope.authority,
        "first": scope.first_month,
        "last": month_end(scope.last_month),
    }
    for flow in (*FLOWS, *extra_flows):
        rows = (await session.execute(text(_flow_sql(flow)), params)).mappings().all()
        shares = list(flow.shares)
        for row in rows:
            periods: tuple[tuple[PeriodType, str], ...] = (("month", ""), ("ytd", "ytd_"))
            for ptype, prefix in periods:
                n = int(row[f"{prefix}n"])
                out.add(flow.count_code, ptype, row["month"], row["org"], value=n, numerator=n)
                for i, code in enumerate(shares):
                    part = int(row[f"{prefix}s{i}"])
                    out.add(
                        code,
                        ptype,
                        row["month"],
                        row["org"],
                        value=_pct(part, n),
                        numerator=part,
                        denominator=n,
                    )
                if flow.rate_code and scope.population and row["org"] == scope.authority:
                    out.add(
                        flow.rate_code,
                        ptype,
                        row["month"],
                        row["org"],
                        value=_rate(n, scope.population),
                        numerator=n,
                        denominator=scope.population,
                    )
    snap_params = {**params, "last": scope.last_month, "cyear": scope.year_filter}
    for code, sql in _SNAPSHOT.items():
        rows = (await session.execute(text(sql), snap_params)).mappings().all()
        for row in rows:
            if row["org"] is None:
                continue
            n = int(row["n"])
            out.add(code, "month", row["month"], row["org"], value=n, numerator=n)
            if code == "CIC" and scope.population and row["org"] == scope.authority:
                out.add(
                    "CIC_RATE",
                    "month",
                    row["month"],
                    row["org"],
                    value=_rate(n, scope.population),
                    numerator=n,
                    denominator=scope.population,
                )
    for month, org, n in await children_in_need(session, scope, snap_params):
        out.add("CIN", "month", month, org, value=n, numerator=n)
    eet = list(cl.eet_codes(scope.collection_year))
    rows = (
        (
            await session.execute(
                text(_CARE_LEAVERS), {**params, "eet": eet, "cyear": scope.year_filter}
            )
        )
        .mappings()
        .all()
    )
    ref_month = scope.reference_date.replace(day=1)
    for row in rows:
        if row["org"] is None:
            continue
        n = int(row["n"])
        for code, key in (
            ("CL_IN_TOUCH", "in_touch"),
            ("CL_ACCOMMODATION", "suitable"),
            ("CL_EET", "eet"),
        ):
            part = int(row[key])
            out.add(
                code,
                "month",
                ref_month,
                row["org"],
                value=_pct(part, n),
                numerator=part,
                denominator=n,
            )
    return out.values
