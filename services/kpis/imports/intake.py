"""The adapter to the values domain: ``services.kpis.values.intake.record_computed_values``.

Looked up when called, so the imports work (and are tested) before the values domain
exists; tests may replace :data:`RECORDER`. Returns how many values the values domain took.
"""

from __future__ import annotations

import importlib
import inspect
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from shared.identity import Caller
from shared.logs import get_logger

log = get_logger(__name__)

INTAKE_MODULE = "services.kpis.values.intake"

#: A replacement for the values domain's function (tests); ``None``: use the real one.
RECORDER: Callable[..., Any] | None = None


def _recorder() -> Callable[..., Any] | None:
    if RECORDER is not None:
        return RECORDER
    try:
        module = importlib.import_module(INTAKE_MODULE)
    except ModuleNotFoundError:
        return None
    found: Callable[..., Any] | None = getattr(module, "record_computed_values", None)
    return found


async def hand_over(
    session: AsyncSession,
    *,
    values: Sequence[ComputedValue],
    import_id: uuid.UUID,
    actor: Caller,
    source_kind: str | None = None,
    worker_teams: Mapping[str, str] | None = None,
) -> int | None:
    """Record ``values`` as draft submissions; ``None`` when the values domain is absent.
    ``source_kind``: the kind of export (``annex_a``, ``ssda903``) the values come from;
    ``worker_teams``: worker staff code → the team code the worker belongs to."""
    record = _recorder()
    if record is None:
        log.warning("imports.intake_unavailable", import_id=str(import_id))
        return None
    extra: dict[str, Any] = {}
    params = inspect.signature(record).parameters
    anything = any(p.kind is p.VAR_KEYWORD for p in params.values())
    # a recorder that predates these arguments goes without them
    if "source_kind" in params or anything:
        extra["source_kind"] = source_kind
    if "worker_teams" in params or anything:
        extra["worker_teams"] = dict(worker_teams or {})
    result = record(session, values=list(values), import_id=str(import_id), actor=actor, **extra)
    if inspect.isawaitable(result):
        result = await result
    return int(result)


WITHDRAWAL_MODULE = "services.kpis.values.withdrawal"


async def withdraw(
    session: AsyncSession, *, import_id: uuid.UUID, withdrawn: Sequence[str], actor: Caller
) -> dict[str, int] | None:
    """The import's values withdrawn from the current values (earlier ones current again):
    ``{"withdrawn": n, "restored": m}``; ``None`` when the values domain is absent."""
    try:
        module = importlib.import_module(WITHDRAWAL_MODULE)
    except ModuleNotFoundError:
        log.warning("imports.withdrawal_unavailable", import_id=str(import_id))
        return None
    result = await module.withdraw_import_values(
        session, import_id=str(import_id), withdrawn=list(withdrawn), actor=actor
    )
    return {"withdrawn": int(result.withdrawn), "restored": int(result.restored)}
