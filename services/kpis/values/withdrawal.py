"""Withdrawing the values a case-management import recorded (the import was wrong).

The import's current revisions stop being current; for each of their keys the latest
earlier revision that no withdrawn import recorded becomes current again (a key with none
has no current value any more). Nothing is deleted: every revision stays in the history.
A period whose values were published (approved) is locked: reopen it first. A submitted
period whose values change goes back to draft, as when new values are recorded. Called by
the imports through ``services/kpis/imports/intake.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.access import COUNCIL, actor_name
from services.kpis.events import emit
from services.kpis.values import writer
from shared.identity import Caller
from shared.problems import Conflict, Forbidden

MAX_REPORTED = 100

_LOCKED = """
    SELECT DISTINCT i.code, v.period_type, v.period_start, v.period_end
    FROM kpis.indicator_value v
    JOIN kpis.value_period p ON p.indicator_id = v.indicator_id
     AND p.period_type = v.period_type AND p.period_start = v.period_start
     AND p.period_end = v.period_end
    JOIN kpis.indicator i ON i.indicator_id = v.indicator_id
    WHERE v.import_id = :import_id AND v.is_current AND p.state = :locked
    ORDER BY 1, 3
"""

_RETIRE = """
    UPDATE kpis.indicator_value SET is_current = false
    WHERE import_id = :import_id AND is_current
    RETURNING indicator_id, org_unit_id, period_type, period_start, period_end, revision
"""

_RESTORE = """
    UPDATE kpis.indicator_value v SET is_current = true
    FROM (
        SELECT DISTINCT ON (p.indicator_id, p.org_unit_id, p.period_type, p.period_start,
                            p.period_end) p.value_id
        FROM unnest(CAST(:ind AS integer[]), CAST(:org AS integer[]), CAST(:ptype AS varchar[]),
                    CAST(:pstart AS date[]), CAST(:pend AS date[]), CAST(:rev AS integer[]))
             AS k(ind, org, ptype, pstart, pend, rev)
        JOIN kpis.indicator_value p ON p.indicator_id = k.ind AND p.org_unit_id = k.org
         AND p.period_type = k.ptype AND p.period_start = k.pstart AND p.period_end = k.pend
         AND p.revision < k.rev
        WHERE p.import_id IS NULL OR NOT (p.import_id = ANY(CAST(:withdrawn AS varchar[])))
        ORDER BY p.indicator_id, p.org_unit_id, p.period_type, p.period_start, p.period_end,
                 p.revision DESC
    ) AS r
    WHERE v.value_id = r.value_id
"""


@dataclass(frozen=True)
class Withdrawn:
    withdrawn: int  # revisions of the import that were current
    restored: int  # earlier revisions current again


async def withdraw_import_values(
    session: AsyncSession, *, import_id: str, withdrawn: Sequence[str], actor: Caller
) -> Withdrawn:
    """Withdraw the current values of ``import_id``; ``withdrawn``: every import already
    withdrawn (their revisions are never made current again)."""
    if actor.agency != COUNCIL and not actor.has_scope("kpis:import", "admin"):
        raise Forbidden("case-management imports are the council's")
    params = {"import_id": import_id[:100], "locked": writer.LOCKED_STATE}
    locked = (await session.execute(text(_LOCKED), params)).all()
    if locked:
        labels = [f"{r[0]} {r[1]} {r[2].isoformat()}..{r[3].isoformat()}" for r in locked]
        raise Conflict(
            "published values are locked: reopen the period before withdrawing the import",
            extensions={"locked": labels[:MAX_REPORTED]},
        )
    retired = (await session.execute(text(_RETIRE), {"import_id": import_id[:100]})).all()
    if not retired:
        return Withdrawn(0, 0)
    restored = await session.execute(
        text(_RESTORE),
        {
            "ind": [r[0] for r in retired],
            "org": [r[1] for r in retired],
            "ptype": [r[2] for r in retired],
            "pstart": [r[3] for r in retired],
            "pend": [r[4] for r in retired],
            "rev": [r[5] for r in retired],
            "withdrawn": [i[:100] for i in {*withdrawn, import_id}],
        },
    )
    restored_count = int(getattr(restored, "rowcount", 0) or 0)
    who = actor_name(actor)
    periods = {(r[0], r[2], r[3], r[4]) for r in retired}
    transitions = await writer.touch_periods(session, periods, who)
    await emit(
        session,
        event_type="indicator_values.withdrawn",
        entity_type="import",
        entity_id=import_id[:120],
        caller=actor,
        payload={
            "withdrawn": len(retired),
            "restored": restored_count,
            "periods": len(periods),
            "transitions": len(transitions),
        },
    )
    return Withdrawn(len(retired), restored_count)
