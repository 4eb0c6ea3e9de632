"""Who may do what with QA records: the permissions of ``shared/rights.py``, then this
service's object-level rules.

- Reading (``audit:read``): a single-agency audit is seen only by its lead agency, a
  multi-agency one by every participating agency (others get 404).
- QA writing (``audit:write``: tools, programmes, audits, findings), acting for one's own
  agency.
- Moderation and closing (``audit:moderate``): of the lead agency, and not the auditor.
"""

from __future__ import annotations

from shared import rights
from shared.identity import Caller
from shared.problems import Forbidden


def can_read(caller: Caller) -> bool:
    return rights.holds(caller, "audit:read")


def require_read(caller: Caller) -> None:
    if not can_read(caller):
        raise Forbidden("reading QA records needs audit:read (approver, auditor, plan manager)")


def is_qa_writer(caller: Caller) -> bool:
    return rights.holds(caller, "audit:write")


def require_writer(caller: Caller, agency: str | None = None) -> None:
    if not is_qa_writer(caller):
        raise Forbidden("this needs the auditor, plan_manager or admin role (or audit:write)")
    if agency is not None and caller.agency != agency:
        raise Forbidden(f"only {agency} may do this")


def require_moderator(caller: Caller, lead_agency: str) -> None:
    if caller.agency != lead_agency or not rights.holds(caller, "audit:moderate"):
        raise Forbidden("moderation needs a QA role or approver of the lead agency")
