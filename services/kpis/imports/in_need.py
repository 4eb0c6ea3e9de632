"""Children in need per month, at the authority, each team and each worker: the children
with a children-in-need episode open on any day of the month (started on or before its
last day, not closed before its first), each child counted once per month and org.

Two forms give the same counts: as bits per child when the window has at most
:data:`_BITS` months (each episode's months found by binary search of the months' first
days, a child's months the union of their episodes', each month's count a sum over the
children: 0.17 s for a 100,000-child census), else as month × episode pairs counted
distinct (0.7 s for the same census: the pairs are sorted once per org level).
``tests/kpis/imports/test_in_need.py`` checks that the two agree.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.db import SCHEMA
from services.kpis.imports.org_levels import ORG as _ORG

if TYPE_CHECKING:
    from services.kpis.imports.compute import Scope

_CIN_PAIRS = f"""
    WITH m AS (
        SELECT d::date AS month, (d + interval '1 month - 1 day')::date AS day
        FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 month') d
    )
    SELECT m.month, {_ORG} AS org, count(DISTINCT e.child) AS n
    FROM m JOIN {SCHEMA}.cm_cin_episode e
      ON e.import_id = :import_id AND e.start_date <= m.day
     AND (e.end_date IS NULL OR e.end_date >= m.month)
    GROUP BY GROUPING SETS ((m.month), (m.month, team), (m.month, worker))
"""  # noqa: S608

#: the months of an episode as bits (bit ``i``: the window's month ``i``, found by binary
#: search of the months' first days): a child is in need in a month when any of their
#: episodes (at that level: authority, team, worker) has it; each month's count is a sum
#: over children (no month × episode pairs to sort)
_CIN_BITS = f"""
    WITH ep AS (
        SELECT child, team, worker,
               width_bucket(start_date, CAST(:starts AS date[])) AS lo,
               coalesce(width_bucket(end_date, CAST(:starts AS date[])), :months - 1) AS hi
        FROM {SCHEMA}.cm_cin_episode
        WHERE import_id = :import_id AND start_date < :after
          AND (end_date IS NULL OR end_date >= :first)
    ), per AS (
        SELECT CASE WHEN grouping(team) = 0 THEN 1 WHEN grouping(worker) = 0 THEN 2 ELSE 0
               END AS level, {_ORG} AS org,
               bit_or(((CAST(1 AS bigint) << (hi - lo + 1)) - 1) << lo) AS months
        FROM ep WHERE hi >= lo
        GROUP BY GROUPING SETS ((child), (child, team), (child, worker))
    )
    SELECT org, {{sums}} FROM per WHERE org IS NOT NULL GROUP BY level, org
"""  # noqa: S608
#: the most months a window may have for :data:`_CIN_BITS` (bits 0-61 of a bigint)
_BITS = 62


async def children_in_need(
    session: AsyncSession, scope: Scope, params: dict[str, Any]
) -> list[tuple[date, str, int]]:
    """(month, org, children in need) for each month with any, at every org level."""
    first, last = scope.first_month, scope.last_month
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count > _BITS:
        rows = (await session.execute(text(_CIN_PAIRS), params)).all()
        return [(r.month, r.org, int(r.n)) for r in rows if r.org is not None]
    months = [_add_months(first, i) for i in range(count)]
    sums = ", ".join(f"sum((months >> {i}) & 1) AS m{i}" for i in range(count))
    bits = {**params, "starts": months[1:], "months": count, "after": _add_months(last, 1)}
    rows = (await session.execute(text(_CIN_BITS.format(sums=sums)), bits)).all()
    found = []
    for row in rows:
        for i, month in enumerate(months):
            if n := int(row[i + 1]):
                found.append((month, row[0], n))
    return found


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)
