"""The children each import counts in a measure for a collection year (pseudonyms only),
and the two imports' sets compared child by child (the reconciliation, issue 17 item 2).

Each measure's set follows the import's own counting (``compute.py``, ``cin_compute.py``):
a flow counts a child once per event dated in the year (``n``: how many); a snapshot counts
the child once (``n``: the episodes open then). SSDA903 rows are those of the year's files.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.db import SCHEMA
from services.kpis.imports import codes as cl

_SHORT = ", ".join(f"'{c}'" for c in cl.SHORT_BREAK_LEGAL_STATUS)

#: measure → (table, condition over its rows; :first, :last and :cyear are the year's)
SETS: dict[str, tuple[str, str]] = {
    "CONTACTS": ("cm_contact", "contact_date BETWEEN :first AND :last"),
    "REFERRALS": ("cm_referral", "referral_date BETWEEN :first AND :last"),
    "ASSESSMENTS": ("cm_assessment", "authorised_date BETWEEN :first AND :last"),
    "S47_ENQUIRIES": ("cm_s47", "s47_date BETWEEN :first AND :last"),
    "ICPCS": ("cm_s47", "icpc_date BETWEEN :first AND :last AND NOT transfer_in"),
    "CP_PLANS_STARTED": ("cm_cp_plan", "start_date BETWEEN :first AND :last"),
    "CP_PLANS_ENDED": ("cm_cp_plan", "end_date BETWEEN :first AND :last"),
    "CIN_IN_YEAR": (
        "cm_cin_episode",
        "start_date <= :last AND (end_date IS NULL OR end_date >= :first)",
    ),
    "CIN_31MAR": (
        "cm_cin_episode",
        "start_date <= :last AND (end_date IS NULL OR end_date > :last)",
    ),
    "CIC": (
        "cm_cla_episode",
        "start_date <= :last AND (end_date IS NULL OR end_date > :last)"
        f" AND coalesce(legal_status, '') NOT IN ({_SHORT})"
        " AND (collection_year IS NULL OR collection_year = :cyear)",
    ),
}


def _set_sql(measure: str, import_param: str) -> str:
    table, condition = SETS[measure]
    return (
        f"SELECT child, count(*) AS n FROM {SCHEMA}.{table} "  # noqa: S608 - constants
        f"WHERE import_id = :{import_param} AND {condition} GROUP BY child"
    )


@dataclass(frozen=True)
class Compared:
    totals: dict[str, int]
    #: (pseudonym, left count or None, right count or None), by pseudonym
    rows: list[tuple[str, int | None, int | None]]


async def compare(
    session: AsyncSession,
    measure: str,
    left: uuid.UUID,
    right: uuid.UUID,
    year: int,
    limit: int,
) -> Compared:
    """The children whose counts differ between the two imports (at most ``limit``), and
    the totals of both sides."""
    params: dict[str, Any] = {
        "left": left,
        "right": right,
        "first": date(year, 4, 1),
        "last": date(year + 1, 3, 31),
        "cyear": year,
        "limit": limit,
    }
    sets = f"WITH l AS ({_set_sql(measure, 'left')}), r AS ({_set_sql(measure, 'right')})"
    totals = (
        (
            await session.execute(
                text(
                    f"""{sets}
                    SELECT (SELECT count(*) FROM l) AS left_children,
                           (SELECT coalesce(sum(n), 0) FROM l) AS left_count,
                           (SELECT count(*) FROM r) AS right_children,
                           (SELECT coalesce(sum(n), 0) FROM r) AS right_count,
                           (SELECT count(*) FROM l LEFT JOIN r USING (child)
                             WHERE r.child IS NULL) AS only_left,
                           (SELECT count(*) FROM r LEFT JOIN l USING (child)
                             WHERE l.child IS NULL) AS only_right,
                           (SELECT count(*) FROM l JOIN r USING (child)
                             WHERE l.n <> r.n) AS counted_differently"""  # noqa: S608
                ),
                params,
            )
        )
        .mappings()
        .one()
    )
    if limit == 0:
        return Compared(totals={k: int(v) for k, v in totals.items()}, rows=[])
    rows = await session.execute(
        text(
            f"""{sets}
            SELECT child, l.n AS left_n, r.n AS right_n FROM l FULL JOIN r USING (child)
            WHERE l.n IS DISTINCT FROM r.n ORDER BY child LIMIT :limit"""  # noqa: S608
        ),
        params,
    )
    return Compared(
        totals={k: int(v) for k, v in totals.items()},
        rows=[
            (str(child), None if ln is None else int(ln), None if rn is None else int(rn))
            for child, ln, rn in rows.all()
        ],
    )
