"""The SSDA903's own measures, besides the snapshots every import computes (``compute.py``).

For each collection year of the upload (April to March, the reference date 31 March), from
that year's files only, at the authority (the SSDA903 names no team or worker); ``year``
periods (1 April to 31 March). Children in care on 31 March are those of ``CIC``: an episode
open at the end of the day, short breaks (V3/V4) excluded.

A child's **period of care** is a run of contiguous episodes (each starting the day the one
before ended, no ``RNE`` S between); it began with the run's first episode. A **placement**
starts with an episode whose ``RNE`` is S, P, T, B or U (L changes the legal status only),
unless the episode is a temporary placement (``PLACE`` T0–T4: holidays, hospital, custody),
which stays part of the placement before it. An unknown ``RNE`` starts a placement when the
placement type differs from the episode before. The files list the episodes open in their
year only: a period of care or a placement that began before the earliest episode of the
year's files is taken to begin with that episode (so durations are at least those shown).

- ``PLACEMENT_STABILITY`` (DfE, formerly NI 62): of the children in care on 31 March, the
  share with three or more placements open on any day of the year;
- ``PLACEMENT_STABILITY_LT`` (DfE, formerly NI 63): of the children in care on 31 March,
  under 16 then (the age on 31 March from the header file's date of birth, which is not
  kept) and looked after continuously for at least 2½ years, the share in the same
  placement for at least 2 years — or placed for adoption (A3–A6) with that placement and
  the one before together lasting 2 years. The files list only the episodes open in their
  year, so a child's history may begin before them: when the child's earliest episode of the
  files is not the start of a period of care (``RNE`` S), the period may have begun earlier.
  A child in care whose period is shown to begin less than 2½ years before 31 March, with
  such an episode, may or may not belong to the cohort: it is **left out and counted** (the
  value's ``comment`` and the report's ``placement_stability_lt_unplaced``, by year, say how
  many). A period shown to reach 2½ years does whatever came before; and then the
  placement's start needs no earlier history either (a placement that began with the
  earliest episode is shown to reach 2 years, since the period is);
- ``MISSING_CHILDREN`` / ``AWAY_CHILDREN`` (DfE, children missing from care): of the children
  looked after on any day of the year (short breaks only excluded), the share with a
  missing period (M) / an away-without-authorisation period (A) starting in the year;
  ``MISSING_INCIDENTS`` / ``AWAY_INCIDENTS``: those periods, counted;
- ``HEALTH_ASSESSMENTS``, ``DENTAL_CHECKS``, ``IMMUNISATIONS`` (DfE OC2): of the children in
  care on 31 March looked after continuously since 1 April or before (12 months), the
  share whose OC2 record says the check is up to date (no OC2 record: not up to date);
- ``SDQ_AVERAGE`` (DfE OC2): the mean SDQ score of those children aged 5 to 16 on 31 March
  who have one (numerator: the sum of scores; denominator: the children).

A measure whose list is not in the upload (no ``RNE`` column, no missing or OC2 file) is not
computed; a percentage of no child is no value.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.db import SCHEMA
from services.kpis.imports import codes as cl
from services.kpis.imports.compute import Scope, _pct, fy_start

CODES = (
    "PLACEMENT_STABILITY",
    "PLACEMENT_STABILITY_LT",
    "MISSING_CHILDREN",
    "MISSING_INCIDENTS",
    "AWAY_CHILDREN",
    "AWAY_INCIDENTS",
    "HEALTH_ASSESSMENTS",
    "DENTAL_CHECKS",
    "IMMUNISATIONS",
    "SDQ_AVERAGE",
)


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # constants of codes.py, never input


_OF_YEAR = (
    "import_id = :import_id AND (CAST(:cyear AS integer) IS NULL OR collection_year = :cyear)"
)

#: every episode of the year's files with its period of care and placement numbers
_EPISODES = f"""
    ep AS (
        SELECT child, start_date, end_date, legal_status, reason_new, placement,
               lag(end_date) OVER w AS prev_end, lag(start_date) OVER w AS prev_start,
               lag(placement) OVER w AS prev_placement,
               first_value(reason_new) OVER w AS first_reason
        FROM {SCHEMA}.cm_cla_episode WHERE {_OF_YEAR}
        WINDOW w AS (PARTITION BY child ORDER BY start_date, end_date NULLS LAST)
    ),
    marked AS (
        SELECT *,
               prev_start IS NULL OR reason_new = 'S'
                 OR (prev_end IS NOT NULL AND prev_end < start_date) AS new_period
        FROM ep
    ),
    numbered AS (
        SELECT *,
               sum(new_period::int) OVER w AS period_no,
               sum((new_period OR (
                   coalesce(placement, '') NOT IN ({_list(cl.TEMPORARY_PLACEMENTS)})
                   AND (reason_new IN ({_list(cl.NEW_PLACEMENT)})
                        OR (reason_new IS NULL
                            AND placement IS DISTINCT FROM prev_placement)))
               )::int) OVER w AS placement_no
        FROM marked
        WINDOW w AS (PARTITION BY child ORDER BY start_date, end_date NULLS LAST)
    ),
    spans AS (
        SELECT *,
               min(start_date) OVER (PARTITION BY child, period_no) AS period_start,
               min(start_date) OVER (PARTITION BY child, placement_no) AS placement_start
        FROM numbered
    ),
    in_care AS (  -- the episode open at the end of the reference day, short breaks excluded
        SELECT DISTINCT ON (child) * FROM spans
        WHERE start_date <= :reference AND (end_date IS NULL OR end_date > :reference)
          AND coalesce(legal_status, '') NOT IN ({_list(cl.SHORT_BREAK_LEGAL_STATUS)})
        ORDER BY child, start_date DESC
    )
"""  # noqa: S608 - identifiers and code lists are constants

_STABILITY = f"""
    WITH {_EPISODES},
    placements AS (
        SELECT child, count(DISTINCT placement_no) AS n FROM spans
        WHERE start_date <= :reference AND (end_date IS NULL OR end_date >= :first)
        GROUP BY child
    ),
    previous AS (  -- the start of the placement before each one, in the same period
        SELECT DISTINCT child, placement_no, period_no, placement_start FROM spans
    ),
    age AS (
        SELECT child, max(age_31mar) AS age FROM {SCHEMA}.cm_child_header WHERE {_OF_YEAR}
        GROUP BY child
    ),
    long_term AS (
        SELECT c.child,
               c.placement_start <= (CAST(:reference AS date) - interval '2 years')
               OR (c.placement IN ({_list(cl.ADOPTION_PLACEMENTS)})
                   AND p.placement_start <= (CAST(:reference AS date) - interval '2 years'))
                 AS stable,
               -- shown to start less than 2½ years ago, but with the child's earliest
               -- episode of the files, which is not the start of a period of care
               c.period_start > (CAST(:reference AS date) - interval '2 years 6 months')
                 AS unplaced
        FROM in_care c JOIN age a ON a.child = c.child
        LEFT JOIN previous p ON p.child = c.child AND p.period_no = c.period_no
                            AND p.placement_no = c.placement_no - 1
        WHERE a.age < 16
          AND (c.period_start <= (CAST(:reference AS date) - interval '2 years 6 months')
               OR (c.period_no = 1 AND c.first_reason IS DISTINCT FROM 'S'))
    )
    SELECT (SELECT count(*) FROM in_care) AS in_care,
           (SELECT count(*) FROM in_care c JOIN placements p USING (child)
             WHERE p.n >= 3) AS three_plus,
           (SELECT count(*) FROM long_term WHERE NOT unplaced) AS long_term,
           (SELECT count(*) FROM long_term WHERE stable AND NOT unplaced) AS stable,
           (SELECT count(*) FROM long_term WHERE unplaced) AS unplaced,
           (SELECT count(*) FROM {SCHEMA}.cm_cla_episode
             WHERE {_OF_YEAR} AND reason_new IS NOT NULL) AS with_reason
"""  # noqa: S608

_MISSING = f"""
    WITH looked_after AS (
        SELECT DISTINCT child FROM {SCHEMA}.cm_cla_episode
        WHERE {_OF_YEAR} AND start_date <= :reference
          AND (end_date IS NULL OR end_date >= :first)
          AND coalesce(legal_status, '') NOT IN ({_list(cl.SHORT_BREAK_LEGAL_STATUS)})
    ),
    periods AS (
        SELECT m.child, m.missing_type FROM {SCHEMA}.cm_missing m
        JOIN looked_after USING (child)
        WHERE m.{_OF_YEAR.replace("collection_year", "m.collection_year")}
          AND m.mis_start BETWEEN :first AND :reference
    )
    SELECT (SELECT count(*) FROM looked_after) AS looked_after,
           (SELECT count(DISTINCT child) FROM periods WHERE missing_type = 'M') AS missing,
           (SELECT count(*) FROM periods WHERE missing_type = 'M') AS missing_n,
           (SELECT count(DISTINCT child) FROM periods WHERE missing_type = 'A') AS away,
           (SELECT count(*) FROM periods WHERE missing_type = 'A') AS away_n,
           (SELECT count(*) FROM {SCHEMA}.cm_missing WHERE {_OF_YEAR}) AS n_rows
"""  # noqa: S608

_HEALTH = f"""
    WITH {_EPISODES},
    cohort AS (SELECT child FROM in_care WHERE period_start <= :first),
    oc2 AS (
        SELECT child, bool_or(health_assessment) AS assessed, bool_or(teeth_check) AS teeth,
               bool_or(immunisations) AS immunised, max(sdq_score) AS sdq
        FROM {SCHEMA}.cm_health WHERE {_OF_YEAR} GROUP BY child
    ),
    age AS (
        SELECT child, max(age_31mar) AS age FROM {SCHEMA}.cm_child_header WHERE {_OF_YEAR}
        GROUP BY child
    ),
    scored AS (
        SELECT o.sdq FROM cohort c JOIN oc2 o USING (child) JOIN age a USING (child)
        WHERE o.sdq IS NOT NULL AND a.age BETWEEN 5 AND 16
    )
    SELECT (SELECT count(*) FROM cohort) AS cohort,
           (SELECT count(*) FROM cohort JOIN oc2 USING (child) WHERE assessed) AS assessed,
           (SELECT count(*) FROM cohort JOIN oc2 USING (child) WHERE teeth) AS teeth,
           (SELECT count(*) FROM cohort JOIN oc2 USING (child) WHERE immunised) AS immunised,
           (SELECT count(*) FROM scored) AS scored,
           (SELECT coalesce(sum(sdq), 0) FROM scored) AS sdq_sum,
           (SELECT count(*) FROM oc2) AS n_rows
"""  # noqa: S608


async def extras(
    session: AsyncSession, scope: Scope, unplaced: dict[str, int] | None = None
) -> list[ComputedValue]:
    """The SSDA903 measures of ``scope``'s collection year (see the module's docstring).
    ``unplaced``, when given, gets the children of the year left out of
    ``PLACEMENT_STABILITY_LT`` (by the year's label, ``2017/18``)."""
    reference = scope.reference_date
    first = fy_start(reference)
    params: dict[str, Any] = {
        "import_id": scope.import_id,
        "cyear": scope.year_filter,
        "reference": reference,
        "first": first,
    }
    found: list[tuple[str, Decimal | None, int, int | None]] = []
    comments: dict[str, str] = {}

    def share(code: str, part: int, whole: int) -> None:
        if whole:  # a percentage of no child is no value
            found.append((code, _pct(part, whole), part, whole))

    row = (await session.execute(text(_STABILITY), params)).mappings().one()
    if row["with_reason"]:
        share("PLACEMENT_STABILITY", int(row["three_plus"]), int(row["in_care"]))
        share("PLACEMENT_STABILITY_LT", int(row["stable"]), int(row["long_term"]))
        left_out = int(row["unplaced"])
        if unplaced is not None:
            unplaced[f"{first.year}/{(first.year + 1) % 100:02d}"] = left_out
        if left_out:
            comments["PLACEMENT_STABILITY_LT"] = (
                f"{left_out} children in care left out: their period of care or placement "
                "began before the year's files, which cannot tell whether they count"
            )
    row = (await session.execute(text(_MISSING), params)).mappings().one()
    if row["n_rows"]:
        share("MISSING_CHILDREN", int(row["missing"]), int(row["looked_after"]))
        share("AWAY_CHILDREN", int(row["away"]), int(row["looked_after"]))
        for code, key in (("MISSING_INCIDENTS", "missing_n"), ("AWAY_INCIDENTS", "away_n")):
            found.append((code, Decimal(int(row[key])), int(row[key]), None))
    row = (await session.execute(text(_HEALTH), params)).mappings().one()
    if row["n_rows"]:
        cohort = int(row["cohort"])
        share("HEALTH_ASSESSMENTS", int(row["assessed"]), cohort)
        share("DENTAL_CHECKS", int(row["teeth"]), cohort)
        share("IMMUNISATIONS", int(row["immunised"]), cohort)
        scored, total = int(row["scored"]), int(row["sdq_sum"])
        if scored:
            mean = (Decimal(total) / Decimal(scored)).quantize(Decimal("0.1"))
            found.append(("SDQ_AVERAGE", mean, total, scored))
    return [
        ComputedValue(
            indicator_code=code,
            period_type="year",
            period_start=first,
            period_end=reference,
            org_unit_code=scope.authority,
            value=value,
            numerator=numerator,
            denominator=denominator,
            comment=comments.get(code),
        )
        for code, value, numerator, denominator in found
    ]
