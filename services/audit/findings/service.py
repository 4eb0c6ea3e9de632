"""The learning loop: open → action agreed → done → re-checked → closed.

- Marking a finding done schedules its re-check (``recheck_due_date``: given, else
  ``done_on`` + the service's ``recheck_after_days``).
- A finding closes only after a re-check found its action effective. A re-check that found
  it not effective sends the finding straight back to ``open``: it needs a new action, done
  again, and another re-check before it can close.
- The finding's agency (or the lead agency) agrees and completes actions; re-checks and
  closing belong to the lead agency's QA roles, and the re-check is by someone other than the
  person who agreed the action or marked it done (``action_by``, ``done_by``).
- A finding is assigned only to an agency taking part in its audit.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import access, events
from services.audit.audits import service as audits
from services.audit.audits.models import CaseAudit
from services.audit.findings import repository as repo
from services.audit.findings.models import Finding
from services.audit.findings.schemas import (
    FindingCreate,
    FindingRead,
    FindingStatus,
    FindingUpdate,
    Transition,
)
from shared.clock import utc_now, utc_today
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, invalid

NEXT: dict[str, set[str]] = {
    "open": {"action_agreed"},
    "action_agreed": {"done"},
    "done": {"rechecked"},
    # a re-check finding the action not effective reopens at once; "open" from "rechecked"
    # stays for rows re-checked not effective before that rule
    "rechecked": {"closed", "open"},
    "closed": set(),
}


def etag(finding: Finding) -> str:
    return etag_for("finding", finding.finding_id, finding.version)


def to_read(f: Finding, today: date) -> FindingRead:
    return FindingRead.model_validate(
        {
            **{k: getattr(f, k) for k in FindingRead.model_fields if hasattr(f, k)},
            "is_overdue": f.status in repo.OPEN_STATES and f.due_date < today,
            "is_recheck_overdue": f.status == "done"
            and f.recheck_due_date is not None
            and f.recheck_due_date < today,
            "has_owner_email": bool(f.owner_email),
        }
    )


#: the fields ``?sort=`` allows
FINDING_SORT = tuple(repo.FINDING_SORT)


async def list_findings(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    *,
    audit_id: int | None,
    status: FindingStatus | None,
    owner_agency: str | None,
    only_overdue: bool,
    only_recheck_overdue: bool,
    sort: list[SortKey],
) -> Page[FindingRead]:
    """Findings of audits the caller's agency takes part in, one page."""
    access.require_read(caller)
    today = utc_today()
    rows, total = await repo.page(
        session,
        caller.agency,
        today,
        audit_id=audit_id,
        status=status,
        owner_agency=owner_agency,
        only_overdue=only_overdue,
        only_recheck_overdue=only_recheck_overdue,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[to_read(f, today) for f in rows], total=total, limit=page.limit, offset=page.offset
    )


async def create(session: AsyncSession, caller: Caller, body: FindingCreate) -> Finding:
    audit = await audits.get(session, caller, body.audit_id, lock=True)
    if audit.status == "closed":
        raise Conflict("the audit is closed and locked")
    access.require_writer(caller)
    if caller.agency not in audit.agencies:
        raise Forbidden("only an agency taking part in the audit records findings")
    if body.agency not in audit.agencies:
        raise _invalid("agency", "must be an agency taking part in the audit")
    finding = await repo.add(session, body.model_dump())
    await events.emit(
        session,
        caller,
        "finding.created",
        "finding",
        finding.finding_id,
        {"audit_id": audit.audit_id, "severity": finding.severity, "agency": finding.agency},
    )
    return finding


async def get(
    session: AsyncSession, caller: Caller, finding_id: int, *, lock: bool = False
) -> tuple[Finding, CaseAudit]:
    access.require_read(caller)
    found = await repo.visible(session, finding_id, caller.agency, lock=lock)
    if found is None:
        raise NotFound("no such finding")
    return found


async def update(
    session: AsyncSession,
    caller: Caller,
    finding_id: int,
    body: FindingUpdate,
    if_match: str | None,
) -> Finding:
    """Set or remove the owner's e-mail, with the rights of recording (assigning) a finding:
    a QA writer of an agency taking part in its audit. The trail names the field, never the
    address."""
    finding, audit = await get(session, caller, finding_id, lock=True)
    check_if_match(if_match, etag(finding))
    access.require_writer(caller)
    if caller.agency not in audit.agencies:
        raise Forbidden("only an agency taking part in the audit assigns its findings")
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        return finding
    for key, value in changes.items():
        setattr(finding, key, value)
    finding.version += 1
    await repo.save(session)
    await events.emit(
        session,
        caller,
        "finding.updated",
        "finding",
        finding.finding_id,
        {"fields": sorted(changes)},
    )
    return finding


def _invalid(field: str, message: str) -> InvalidInput:
    return invalid(field, message, detail=f"{field}: {message}")


async def transition(
    session: AsyncSession,
    caller: Caller,
    finding_id: int,
    body: Transition,
    if_match: str | None,
    *,
    recheck_after_days: int,
) -> Finding:
    finding, audit = await get(session, caller, finding_id, lock=True)
    check_if_match(if_match, etag(finding))
    state = {"finding_status": finding.status}
    if body.to == "closed" and finding.status != "rechecked":
        raise Conflict("a finding cannot close without a re-check", extensions=state)
    if body.to == "closed" and finding.recheck_outcome != "effective":
        raise Conflict(
            "a finding closes only after a re-check found its action effective",
            extensions=state,
        )
    if body.to not in NEXT[finding.status]:
        raise Conflict(f"a finding cannot go from {finding.status} to {body.to}", extensions=state)
    if body.to in ("action_agreed", "done"):
        access.require_writer(caller)
        if caller.agency not in (finding.agency, audit.lead_agency):
            raise Forbidden("only the finding's agency or the lead agency acts on it")
    else:
        access.require_writer(caller, audit.lead_agency)
    today = utc_today()
    before = finding.status
    after = body.to
    if body.to == "action_agreed":
        if not body.action:
            raise _invalid("action", "required")
        finding.action = body.action
        finding.action_by = caller.subject
        if body.plan_action_ref:
            finding.plan_action_ref = body.plan_action_ref
    elif body.to == "done":
        finding.done_on = body.done_on or today
        finding.done_by = caller.subject
        finding.recheck_due_date = body.recheck_due_date or finding.done_on + timedelta(
            days=recheck_after_days
        )
        if finding.recheck_due_date < finding.done_on:
            raise _invalid("recheck_due_date", "must not be before done_on")
    elif body.to == "rechecked":
        if body.outcome is None:
            raise _invalid("outcome", "required")
        if caller.subject in (finding.action_by, finding.done_by):
            raise Forbidden(
                "the re-check must be by someone other than the person who agreed the action "
                "or marked it done"
            )
        finding.recheck_outcome = body.outcome
        finding.recheck_notes = body.notes
        finding.rechecked_on = body.on or today
        finding.rechecked_by = caller.subject
        if body.outcome == "not_effective":
            after = "open"
            _reopen(finding)
    elif body.to == "open":
        if finding.recheck_outcome != "not_effective":
            raise Conflict(
                "only a finding whose re-check found the action not effective reopens",
                extensions=state,
            )
        _reopen(finding)
    elif body.to == "closed":
        finding.closed_at = utc_now()
    finding.status = after
    finding.version += 1
    await repo.save(session)
    await events.emit(
        session,
        caller,
        "finding.status_changed",
        "finding",
        finding.finding_id,
        {
            "before": before,
            "after": after,
            "transition": body.to,
            "outcome": finding.recheck_outcome,
        },
    )
    return finding


def _reopen(finding: Finding) -> None:
    """Back to open: the next round needs its own action, completion and re-check."""
    finding.done_on = None
    finding.done_by = None
    finding.recheck_due_date = None
