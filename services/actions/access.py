"""Who may do what with the plan: the permissions of ``shared/rights.py``, then this
service's object-level rules (the plan is the council's; agencies act on what they lead or
carry)."""

from __future__ import annotations

from collections.abc import Iterable

from shared import rights
from shared.identity import Caller
from shared.problems import Forbidden
from shared.vocabulary import LEAD_AGENCY

PLAN_AGENCY = LEAD_AGENCY


def is_plan_manager(caller: Caller) -> bool:
    """Council plan managers (or admins) change the plan's structure and owners."""
    return caller.agency == PLAN_AGENCY and rights.holds(caller, "actions:manage")


def is_contributor(caller: Caller) -> bool:
    return rights.holds(caller, "actions:write")


def require_plan_manager(caller: Caller) -> None:
    if not is_plan_manager(caller):
        raise Forbidden("only the council's plan managers may change the plan")


def require_contributor_for(caller: Caller, agencies: Iterable[str]) -> None:
    """Updates: plan managers, or contributors of an agency leading or contributing."""
    if is_plan_manager(caller):
        return
    if not is_contributor(caller):
        raise Forbidden("your role may read the plan but not report progress on it")
    if caller.agency not in set(agencies):
        raise Forbidden("your agency neither leads nor contributes to this action or step")


def require_status_changer(caller: Caller, lead_agency: str) -> None:
    """Moving an action (completing it included): plan managers, or the lead agency's
    contributors. Carrying a step, or contributing, lets an agency report progress but not
    move an action another agency owns."""
    if is_plan_manager(caller):
        return
    if not rights.holds(caller, "actions:status") or not is_contributor(caller):
        raise Forbidden("your role may not change an action's status")
    if caller.agency != lead_agency:
        raise Forbidden("only the lead agency (or a plan manager) changes this action's status")


def can_mark_embedded(caller: Caller) -> bool:
    """Plan managers, or auditors (people: QA confirms the change is embedded)."""
    return is_plan_manager(caller) or (
        caller.kind == "user"
        and caller.has_role("auditor")
        and rights.holds(caller, "actions:status")
    )


def require_plan_reader(caller: Caller) -> None:
    """Reading the plan: every person; a partner system with ``actions:read``."""
    if not rights.holds(caller, "actions:read"):
        raise Forbidden("reading the plan needs actions:read")
