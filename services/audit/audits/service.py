"""Rules of case audits: draft → submitted → moderated → closed (locked).

- Each participating agency completes its own section (single-agency: the lead only).
- Submitting needs every section complete, an overall grade and, for a multi-agency audit,
  the joint discussion's conclusion; only a QA role of the lead agency submits.
- Moderation is by another person than the auditor; changing the grade needs a reason, and
  the auditor's grade is kept beside the moderated one.
- Closing follows moderation; a closed audit refuses every change (409).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import access, events
from services.audit.audits import answers as answer_rules
from services.audit.audits import repository as repo
from services.audit.audits.models import AuditSection, CaseAudit
from services.audit.audits.schemas import (
    AuditCreate,
    AuditRead,
    AuditStatus,
    AuditUpdate,
    Moderation,
    SectionRead,
    SectionUpdate,
)
from services.audit.programmes import repository as programmes
from services.audit.tools import repository as tools
from shared.clock import utc_now
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound, field_error, invalid


def etag(audit: CaseAudit) -> str:
    return etag_for("audit", audit.audit_id, audit.version)


def to_read(audit: CaseAudit, sections: list[AuditSection]) -> AuditRead:
    return AuditRead.model_validate(
        {
            **{k: getattr(audit, k) for k in AuditRead.model_fields if k != "sections"},
            "sections": [
                SectionRead(
                    agency=s.agency,
                    answers=s.answers,
                    grade=s.grade,
                    completed_by=s.completed_by,
                    completed_at=s.completed_at,
                    is_complete=s.completed_at is not None,
                )
                for s in sections
            ],
        }
    )


async def read(session: AsyncSession, audit: CaseAudit) -> AuditRead:
    return to_read(audit, await repo.sections(session, audit.audit_id))


#: the fields ``?sort=`` allows
AUDIT_SORT = tuple(repo.AUDIT_SORT)


async def list_audits(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    *,
    programme_id: int | None,
    status: AuditStatus | None,
    team_code: str | None,
    sort: list[SortKey],
) -> Page[AuditRead]:
    """Audits the caller's agency takes part in, one page; the read is recorded."""
    access.require_read(caller)
    rows, total = await repo.page(
        session,
        caller.agency,
        programme_id=programme_id,
        status=status,
        team_code=team_code,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    items = [await read(session, a) for a in rows]
    await events.emit(
        session,
        caller,
        "audit.listed",
        "audit",
        "list",
        {"audit_ids": [a.audit_id for a in rows], "total": total},
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


async def create(session: AsyncSession, caller: Caller, body: AuditCreate) -> CaseAudit:
    programme = await programmes.get(session, body.programme_id)
    if programme is None:
        raise invalid("programme_id", "unknown", "unknown", detail="no such programme")
    access.require_writer(caller, programme.lead_agency)
    audit = await repo.add(
        session,
        {
            **body.model_dump(),
            "tool_id": programme.tool_id,
            "auditor_subject": caller.subject,
            "lead_agency": programme.lead_agency,
            "is_multi_agency": programme.is_multi_agency,
        },
        list(programme.participating_agencies),
    )
    await events.emit(
        session,
        caller,
        "audit.created",
        "audit",
        audit.audit_id,
        {"programme_id": programme.programme_id},
    )
    return audit


async def get(
    session: AsyncSession, caller: Caller, audit_id: int, *, lock: bool = False
) -> CaseAudit:
    access.require_read(caller)
    audit = await repo.visible(session, audit_id, caller.agency, lock=lock)
    if audit is None:
        raise NotFound("no such audit")
    return audit


async def get_recorded(session: AsyncSession, caller: Caller, audit_id: int) -> CaseAudit:
    """One audit for reading; the read is recorded."""
    audit = await get(session, caller, audit_id)
    await events.emit(
        session, caller, "audit.read", "audit", audit.audit_id, {"status": audit.status}
    )
    return audit


def _in(audit: CaseAudit, *statuses: str) -> None:
    if audit.status == "closed":
        raise Conflict("the audit is closed and locked")
    if audit.status not in statuses:
        raise Conflict(
            f"not allowed while the audit is {audit.status}",
            extensions={"status": audit.status},
        )


async def _for_change(
    session: AsyncSession, caller: Caller, audit_id: int, if_match: str | None
) -> CaseAudit:
    audit = await get(session, caller, audit_id, lock=True)
    check_if_match(if_match, etag(audit))
    return audit


def _bump(audit: CaseAudit) -> None:
    audit.version += 1


async def update_section(
    session: AsyncSession,
    caller: Caller,
    audit_id: int,
    agency: str,
    body: SectionUpdate,
    if_match: str | None,
) -> CaseAudit:
    audit = await _for_change(session, caller, audit_id, if_match)
    _in(audit, "draft")
    access.require_writer(caller, agency)
    section = next((s for s in await repo.sections(session, audit_id) if s.agency == agency), None)
    if section is None:
        raise NotFound(f"{agency} has no section in this audit")
    tool = await tools.get(session, audit.tool_id)
    assert tool is not None
    answer_rules.check(tool.sections, body.answers)
    section.answers = {**section.answers, **body.answers}
    if body.grade is not None:
        section.grade = body.grade
    if body.complete:
        gaps = answer_rules.missing(tool.sections, section.answers)
        if gaps:
            raise InvalidInput(
                "required questions are unanswered",
                extensions={
                    "errors": [field_error(f"answers.{c}", "required", "required") for c in gaps]
                },
            )
        section.completed_by = caller.subject
        section.completed_at = utc_now()
    else:
        section.completed_by = None
        section.completed_at = None
    _bump(audit)
    await repo.save(session)
    await events.emit(
        session,
        caller,
        "audit.section_updated",
        "audit",
        audit.audit_id,
        {"agency": agency, "complete": body.complete, "answered": len(section.answers)},
    )
    return audit


async def update(
    session: AsyncSession,
    caller: Caller,
    audit_id: int,
    body: AuditUpdate,
    if_match: str | None,
) -> CaseAudit:
    audit = await _for_change(session, caller, audit_id, if_match)
    _in(audit, "draft")
    access.require_writer(caller, audit.lead_agency)
    changed = body.model_dump(exclude_unset=True)
    for key, value in changed.items():
        setattr(audit, key, value)
    _bump(audit)
    await repo.save(session)
    await events.emit(
        session, caller, "audit.updated", "audit", audit.audit_id, {"fields": sorted(changed)}
    )
    return audit


async def submit(
    session: AsyncSession, caller: Caller, audit_id: int, if_match: str | None
) -> CaseAudit:
    audit = await _for_change(session, caller, audit_id, if_match)
    _in(audit, "draft")
    access.require_writer(caller, audit.lead_agency)
    pending = [s.agency for s in await repo.sections(session, audit_id) if s.completed_at is None]
    if pending:
        raise Conflict(
            "every participating agency must complete its section first",
            extensions={"pending_agencies": pending},
        )
    if audit.grade is None:
        raise Conflict("give the overall grade before submitting")
    if audit.is_multi_agency and not audit.joint_conclusion:
        raise Conflict("record the joint discussion's conclusion before submitting")
    audit.status = "submitted"
    audit.submitted_at = utc_now()
    _bump(audit)
    await repo.save(session)
    await events.emit(
        session, caller, "audit.submitted", "audit", audit.audit_id, {"grade": audit.grade}
    )
    return audit


async def moderate(
    session: AsyncSession,
    caller: Caller,
    audit_id: int,
    body: Moderation,
    if_match: str | None,
) -> CaseAudit:
    audit = await _for_change(session, caller, audit_id, if_match)
    _in(audit, "submitted")
    access.require_moderator(caller, audit.lead_agency)
    if caller.subject == audit.auditor_subject:
        raise Forbidden("moderation must be done by another person than the auditor")
    if body.grade != audit.grade and not (body.reason and body.reason.strip()):
        raise invalid("reason", "required", "required", detail="changing the grade needs a reason")
    audit.moderated_grade = body.grade
    audit.moderation_reason = body.reason
    audit.moderator_subject = caller.subject
    audit.moderated_at = utc_now()
    audit.status = "moderated"
    _bump(audit)
    await repo.save(session)
    await events.emit(
        session,
        caller,
        "audit.moderated",
        "audit",
        audit.audit_id,
        {"before": audit.grade, "after": body.grade, "changed": body.grade != audit.grade},
    )
    return audit


async def close(
    session: AsyncSession, caller: Caller, audit_id: int, if_match: str | None
) -> CaseAudit:
    audit = await _for_change(session, caller, audit_id, if_match)
    _in(audit, "moderated")
    access.require_moderator(caller, audit.lead_agency)
    audit.status = "closed"
    audit.closed_at = utc_now()
    _bump(audit)
    await repo.save(session)
    await events.emit(
        session, caller, "audit.closed", "audit", audit.audit_id, {"final_grade": audit.final_grade}
    )
    return audit
