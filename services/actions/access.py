"""Who may do what, from the caller the gateway names (object-level rules)."""

from __future__ import annotations

from collections.abc import Iterable

from shared.identity import Caller
from shared.problems import Forbidden

MANAGER_ROLES = ("plan_manager", "admin")


def is_plan_manager(caller: Caller) -> bool:
    """Council plan managers (or admins) change the plan's structure and owners."""
    if caller.agency != "council":
        return False
    if caller.kind == "client":
        return caller.has_scope("admin")
    return caller.has_role(*MANAGER_ROLES)


def is_contributor(caller: Caller) -> bool:
    if caller.kind == "client":
        return caller.has_scope("actions:write", "admin")
    return caller.has_role("contributor", *MANAGER_ROLES)


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


def can_mark_embedded(caller: Caller) -> bool:
    return is_plan_manager(caller) or (caller.kind == "user" and caller.has_role("auditor"))
