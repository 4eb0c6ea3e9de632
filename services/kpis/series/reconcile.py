"""Reconciliation: where two sources gave the same indicator, period and org unit
different figures, each source's latest figure side by side, the published (authoritative)
one marked, and the difference.

Every figure a source gave is kept in ``source_figure`` (imports: ``annex_a``,
``ssda903``; partners: ``submission``); a withdrawn import's figures leave the view. Who
may read it: the figures of other sources are never published, so the reconciliation is
for those who read unpublished values (the indicator's source agency and council
managers); worker units need worker access (a council manager stating a purpose,
recorded), as every worker-level read.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.access import worker_access
from services.kpis.periods import Period
from services.kpis.series import repository as repo
from services.kpis.series.service import unit_code
from services.kpis.values.service import parse_period
from shared.identity import Caller
from shared.problems import Forbidden, NotFound

_FIGURES_SQL = text(
    """
    SELECT DISTINCT ON (f.period_type, f.period_start, f.period_end, f.source_kind)
           f.period_type, f.period_start, f.period_end, f.source_kind, f.import_id,
           f.submission_id, f.value, f.numerator, f.denominator, f.created_at
    FROM kpis.source_figure f
    WHERE f.indicator_id = :indicator AND f.org_unit_id = :org
      AND (CAST(:ptype AS varchar) IS NULL OR (f.period_type = :ptype
           AND f.period_start = :pstart AND f.period_end = :pend))
      -- a withdrawn import's figures are no source's figure any more (kept in history)
      AND NOT EXISTS (SELECT 1 FROM kpis.import_job j
                      WHERE j.id::text = f.import_id AND j.status = 'withdrawn')
    ORDER BY f.period_type, f.period_start, f.period_end, f.source_kind, f.figure_id DESC
    """
)
_CURRENT_SQL = text(
    """
    SELECT v.period_type, v.period_start, v.period_end, v.value, v.source_kind, v.state,
           v.revision, v.import_id, v.submission_id
    FROM kpis.indicator_value v
    WHERE v.indicator_id = :indicator AND v.org_unit_id = :org AND v.is_current
      AND (CAST(:ptype AS varchar) IS NULL OR (v.period_type = :ptype
           AND v.period_start = :pstart AND v.period_end = :pend))
    """
)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


async def reconciliation(
    session: AsyncSession,
    caller: Caller,
    *,
    code: str,
    org_unit: str | None,
    period_text: str | None,
    differing_only: bool,
    purpose: str | None,
) -> dict[str, Any]:
    indicator = await repo.current_indicator(session, code)
    if indicator is None:
        raise NotFound("no such indicator")
    unit = await repo.org_unit(session, await unit_code(session, org_unit))
    if unit is None:
        raise NotFound("no such org unit")
    if not access.sees_unpublished(caller, indicator.source_agency):
        raise Forbidden(
            "the reconciliation shows figures that are not published: the indicator's "
            "source agency and council managers only"
        )
    if unit.level == "worker" and not await worker_access(
        session, caller, purpose, f"reconcile:{code}:{unit.code}", {"indicator": code}
    ):
        raise NotFound("no such org unit")
    period: Period | None = parse_period(period_text) if period_text else None
    params = {
        "indicator": indicator.indicator_id,
        "org": unit.org_unit_id,
        "ptype": period.type if period else None,
        "pstart": period.start if period else None,
        "pend": period.end if period else None,
    }
    figures = (await session.execute(_FIGURES_SQL, params)).mappings().all()
    current = {
        (r["period_type"], r["period_start"], r["period_end"]): r
        for r in (await session.execute(_CURRENT_SQL, params)).mappings().all()
    }
    by_key: dict[tuple[Any, ...], list[Any]] = {}
    for f in figures:
        by_key.setdefault((f["period_type"], f["period_start"], f["period_end"]), []).append(f)
    authoritative = indicator.authoritative_source
    items = []
    for key in sorted(by_key):
        found = by_key[key]
        if len(found) < 2:
            continue
        values = [f["value"] for f in found if f["value"] is not None]
        spread = max(values) - min(values) if values else None
        if differing_only and not spread:
            continue
        reference = next((f["value"] for f in found if f["source_kind"] == authoritative), None)
        now = current.get(key)
        items.append(
            {
                "indicator": code,
                "period": Period.from_dates(key[0], key[1], key[2]).label,
                "org_unit": unit.code,
                "authoritative_source": authoritative,
                "published_source": now["source_kind"] if now else None,
                "current": None
                if now is None
                else {
                    "value": _text(now["value"]),
                    "source": now["source_kind"],
                    "import_id": now["import_id"],
                    "submission_id": now["submission_id"],
                    "state": now["state"],
                    "revision": now["revision"],
                },
                "figures": [
                    {
                        "source": f["source_kind"],
                        "import_id": f["import_id"],
                        "submission_id": f["submission_id"],
                        "value": _text(f["value"]),
                        "numerator": f["numerator"],
                        "denominator": f["denominator"],
                        "recorded_at": f["created_at"],
                        "authoritative": f["source_kind"] == authoritative,
                        "difference_from_authoritative": _text(f["value"] - reference)
                        if f["value"] is not None and reference is not None
                        else None,
                    }
                    for f in found
                ],
                "difference": _text(spread),
                "differs": bool(spread),
            }
        )
    return {"indicator": code, "org_unit": unit.code, "items": items}
