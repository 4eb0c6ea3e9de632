"""Who may do what with QA records (object-level decisions; the gateway checks scopes).

- Reading: people of an agency (any role) and clients with ``audit:read``; a single-agency
  audit is seen only by its lead agency, a multi-agency one by every participating agency
  (others get 404). Programmes and tools are readable by every caller.
- QA writing (tools, programmes, audits, findings): people with role ``auditor``,
  ``plan_manager`` or ``admin``, or clients with ``audit:write``, acting for their own agency.
- Moderation: a QA writer of the lead agency, or an ``approver``, who is not the auditor.
"""

from __future__ import annotations

from shared.identity import Caller
from shared.problems import Forbidden

QA_ROLES = ("auditor", "plan_manager", "admin")


def can_read(caller: Caller) -> bool:
    return caller.kind == "user" or caller.has_scope("audit:read", "audit:write", "admin")


def require_read(caller: Caller) -> None:
    if not can_read(caller):
        raise Forbidden("reading QA records needs the audit:read scope")


def is_qa_writer(caller: Caller) -> bool:
    if caller.kind == "client":
        return caller.has_scope("audit:write", "admin")
    return caller.has_role(*QA_ROLES)


def require_writer(caller: Caller, agency: str | None = None) -> None:
    if not is_qa_writer(caller):
        raise Forbidden("this needs the auditor, plan_manager or admin role (or audit:write)")
    if agency is not None and caller.agency != agency:
        raise Forbidden(f"only {agency} may do this")


def require_moderator(caller: Caller, lead_agency: str) -> None:
    if caller.agency != lead_agency or not (is_qa_writer(caller) or caller.has_role("approver")):
        raise Forbidden("moderation needs a QA role or approver of the lead agency")
