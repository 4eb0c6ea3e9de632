"""Caseloads: open cases by allocated worker on the last day of each month (issue 17 item 3).

A child is an **open case** of a worker on a day when a row allocated to that worker (its
``Allocated Worker``) is open at the end of that day: a children-in-need episode, a child
protection plan or a children-in-care episode that started on or before the day and had not
ended by the end of it (an episode ending that day is closed). A child is counted once per
worker (and once per team, once for the authority) whatever the lists holding it.

- ``CASELOAD``: children with an open allocated case, at the authority, each team and each
  worker (a worker's value is their caseload);
- ``CASELOAD_AVG``: the average caseload of the workers holding cases (DfE children's social
  work workforce: cases held ÷ workers holding cases), at the authority and each team; the
  numerator is the sum of the workers' caseloads, the denominator the workers.

Rows with no allocated worker count in neither (an unallocated case is no one's caseload);
an export with no allocation fields (the SSDA903, the CIN census) gives no caseloads.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.db import SCHEMA
from services.kpis.imports.compute import Scope, _Out, month_end

_OPEN_ROWS = " UNION ALL ".join(
    f"SELECT child, team, worker, start_date, end_date FROM {SCHEMA}.{table} "  # noqa: S608
    "WHERE import_id = :import_id AND worker IS NOT NULL"
    for table in ("cm_cin_episode", "cm_cp_plan", "cm_cla_episode")
)

#: each worker's open cases (with the team the worker's rows of that month name most)
_CASES = f"""
    WITH m AS (
        SELECT d::date AS month, (d + interval '1 month - 1 day')::date AS day
        FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') d
    ),
    open AS (
        SELECT DISTINCT m.month, o.child, o.worker, o.team
        FROM m JOIN ({_OPEN_ROWS}) AS o
          ON o.start_date <= m.day AND (o.end_date IS NULL OR o.end_date > m.day)
    )
    SELECT month,
           CASE WHEN grouping(team) = 0 THEN team
                WHEN grouping(worker) = 0 THEN worker ELSE :authority END AS org,
           grouping(worker) = 0 AS is_worker,
           count(DISTINCT child) AS children,
           count(DISTINCT (worker, child)) AS worker_cases,
           count(DISTINCT worker) AS workers
    FROM open
    GROUP BY GROUPING SETS ((month), (month, team), (month, worker))
"""  # noqa: S608 - the schema and tables are constants


async def extras(session: AsyncSession, scope: Scope) -> list[ComputedValue]:
    """``CASELOAD`` and ``CASELOAD_AVG`` for each month of ``scope``."""
    out = _Out(scope)
    params: dict[str, Any] = {
        "import_id": scope.import_id,
        "authority": scope.authority,
        "first": scope.first_month,
        "last": month_end(scope.last_month),
    }
    for row in (await session.execute(text(_CASES), params)).mappings().all():
        if row["org"] is None:  # rows with no team: the authority and workers only
            continue
        children = int(row["children"])
        out.add("CASELOAD", "month", row["month"], row["org"], value=children, numerator=children)
        if not row["is_worker"]:
            cases, workers = int(row["worker_cases"]), int(row["workers"])
            mean = (Decimal(cases) / Decimal(workers)).quantize(Decimal("0.1"))
            out.add(
                "CASELOAD_AVG",
                "month",
                row["month"],
                row["org"],
                value=mean,
                numerator=cases,
                denominator=workers,
            )
    return out.values
