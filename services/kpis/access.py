"""Who may do what with KPI data (object-level decisions the service makes itself)."""

from __future__ import annotations

from shared.identity import Caller

COUNCIL = "council"
MANAGER_ROLES = ("approver", "plan_manager", "admin")
WRITER_ROLES = ("contributor", "approver", "plan_manager", "admin")


def is_council_manager(caller: Caller) -> bool:
    """Council callers with role approver, plan_manager or admin (people only)."""
    return caller.agency == COUNCIL and caller.kind == "user" and caller.has_role(*MANAGER_ROLES)


def is_performance_staff(caller: Caller) -> bool:
    """Council performance staff may submit any agency's indicators."""
    return caller.agency == COUNCIL and caller.has_role("plan_manager", "admin")


def can_write(caller: Caller) -> bool:
    if caller.kind == "client":
        return caller.has_scope("kpis:submit", "kpis:import", "admin")
    return caller.has_role(*WRITER_ROLES)


def may_submit_for(caller: Caller, source_agency: str) -> bool:
    if not can_write(caller):
        return False
    return caller.agency == source_agency or is_performance_staff(caller)


def is_approver_of(caller: Caller, source_agency: str) -> bool:
    if caller.agency != source_agency:
        return False
    if caller.kind == "client":
        return caller.has_scope("kpis:approve")
    return caller.has_role("approver", "admin")


def sees_unpublished(caller: Caller, source_agency: str) -> bool:
    """Unpublished values: the source agency and council managers/approvers."""
    return caller.agency == source_agency or is_council_manager(caller)


def actor_name(caller: Caller) -> str:
    """Who recorded, submitted or approved: the person, or the machine client.

    A person's token also names the front-end client they logged in through (the same for
    everyone), so people are named by subject; the four-eyes rule depends on it."""
    name = caller.subject if caller.kind == "user" else (caller.client_id or caller.subject)
    return name[:200]
