"""The child-level reconciliation (issue 17 item 2): the same measure for the same year from
two imports (say the Annex A and the CIN census, or the Annex A and the SSDA903), with the
children one counts and the other does not, or counts differently, as pseudonyms.

The figures (each side's children and count, how many differ) for whoever reads the imports
(as ``GET /v1/imports/{id}/values``); the children themselves — child-level data — for
council managers only (``access.worker_access``, the rule of the worker-level
figures), with a stated purpose, every such read recorded in the trail (``sensitive.read``).
Only pseudonyms are stored, so none other can be shown.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.access import worker_access
from services.kpis.imports import child_sets, repository
from shared.identity import Caller
from shared.problems import Conflict, InvalidInput, NotFound, invalid

#: children listed at most (the totals count them all)
LIST_LIMIT = 5000
_PERIOD = re.compile(r"^(20\d\d)-(\d\d)$")


def _invalid(field: str, message: str) -> InvalidInput:
    return invalid(field, message, where="query", detail=f"{field}: {message}")


def collection_year(period: str) -> int:
    """``2023-24`` → 2023 (a collection year, April to March)."""
    found = _PERIOD.match(period)
    if found is None or int(found.group(2)) != (int(found.group(1)) + 1) % 100:
        raise _invalid("period", "a collection year such as 2023-24")
    return int(found.group(1))


async def reconcile(
    session: AsyncSession,
    caller: Caller,
    *,
    measure: str,
    period: str,
    left: uuid.UUID,
    right: uuid.UUID,
    purpose: str | None,
) -> dict[str, Any]:
    if measure not in child_sets.SETS:
        raise _invalid("measure", f"one of {', '.join(sorted(child_sets.SETS))}")
    year = collection_year(period)
    if left == right:
        raise _invalid("right", "another import than left")
    jobs = {}
    for side, job_id in (("left", left), ("right", right)):
        job = await repository.get_job(session, job_id, caller.agency)
        if job is None:
            raise NotFound(f"no such import ({side})")
        if job.status != "succeeded":
            raise Conflict(f"the {side} import has no stored rows to compare (not succeeded)")
        jobs[side] = job
    detail = {"measure": measure, "period": period, "left": str(left), "right": str(right)}
    allowed = await worker_access(
        session,
        caller,
        purpose,
        f"reconciliation:{measure}:{period}",
        detail,
        entity_type="child_reconciliation",
    )
    # the figures for whoever reads the imports; the children for council managers only
    found = await child_sets.compare(
        session, measure, left, right, year, LIST_LIMIT if allowed else 0
    )
    t = found.totals
    return {
        "measure": measure,
        "period": period,
        "left": {
            "import_id": str(left),
            "kind": jobs["left"].kind,
            "children": t["left_children"],
            "count": t["left_count"],
        },
        "right": {
            "import_id": str(right),
            "kind": jobs["right"].kind,
            "children": t["right_children"],
            "count": t["right_count"],
        },
        "only_left": t["only_left"],
        "only_right": t["only_right"],
        "counted_differently": t["counted_differently"],
        "children_shown": allowed,
        "children": [{"child": c, "left": ln, "right": rn} for c, ln, rn in found.rows],
        "truncated": allowed
        and t["only_left"] + t["only_right"] + t["counted_differently"] > LIST_LIMIT,
    }
