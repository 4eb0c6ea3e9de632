"""Who may do what with KPI data: the permissions of ``shared/rights.py``, then the
object-level decisions the service makes itself (source agency, publication state)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.events import emit
from shared import rights
from shared.identity import Caller
from shared.problems import DomainError, field_error
from shared.vocabulary import LEAD_AGENCY, MANAGER_ROLES

COUNCIL = LEAD_AGENCY


def is_council_manager(caller: Caller) -> bool:
    """Council callers with role approver, plan_manager or admin (people only)."""
    return caller.agency == COUNCIL and caller.kind == "user" and caller.has_role(*MANAGER_ROLES)


def is_performance_staff(caller: Caller) -> bool:
    """Council performance staff (``kpis:organise``): org units, targets, and any agency's
    indicator definitions and submissions."""
    return caller.agency == COUNCIL and rights.holds(caller, "kpis:organise")


def may_define(caller: Caller, source_agency: str) -> bool:
    """Indicator definitions: the source agency's definers, or council performance staff."""
    if is_performance_staff(caller):
        return True
    return caller.agency == source_agency and rights.holds(caller, "kpis:define")


def can_write(caller: Caller) -> bool:
    return rights.holds(caller, "kpis:submit", "kpis:import")


def may_submit_for(caller: Caller, source_agency: str) -> bool:
    if not can_write(caller):
        return False
    return caller.agency == source_agency or is_performance_staff(caller)


def is_approver_of(caller: Caller, source_agency: str) -> bool:
    if caller.agency != source_agency:
        return False
    return rights.holds(caller, "kpis:approve")


def sees_unpublished(caller: Caller, source_agency: str) -> bool:
    """Unpublished values: the source agency and council managers/approvers."""
    return caller.agency == source_agency or is_council_manager(caller)


def actor_name(caller: Caller) -> str:
    """Who recorded, submitted or approved: the person, or the machine client.

    A person's token also names the front-end client they logged in through (the same for
    everyone), so people are named by subject; the four-eyes rule depends on it."""
    name = caller.subject if caller.kind == "user" else (caller.client_id or caller.subject)
    return name[:200]


class PurposeRequired(DomainError):
    status, code, title = 400, "purpose-required", "Purpose required"


async def worker_access(
    session: AsyncSession,
    caller: Caller,
    purpose: str | None,
    what: str,
    detail: dict[str, Any],
    *,
    entity_type: str = "worker_values",
) -> bool:
    """Whether worker-level rows are included; records the read when they are.

    The one rule for staff-level figures (promise Z5), whatever path they leave by
    (values, series, drill-down, an import's values): council managers only, with a stated
    purpose, each read recorded in the trail (``sensitive.read``) through the outbox. Anyone
    else simply gets no worker rows; a manager who asks without a purpose gets a 400."""
    if not is_council_manager(caller):
        return False
    if not purpose or not purpose.strip():
        raise PurposeRequired(
            "worker-level figures need a stated purpose (?purpose=...)",
            extensions={"errors": [field_error("purpose", "required", "missing", "query")]},
        )
    await emit(
        session,
        event_type="sensitive.read",
        entity_type=entity_type,
        entity_id=what[:120],
        caller=caller,
        payload=detail,
        purpose=purpose.strip()[:500],
    )
    return True
