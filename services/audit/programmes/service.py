"""Rules of programmes: set up by a QA role of the lead agency, on an existing tool version."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit import access, events
from services.audit.programmes import repository as repo
from services.audit.programmes.models import AuditProgramme
from services.audit.programmes.schemas import (
    ProgrammeCreate,
    ProgrammeCriterionRead,
    ProgrammeRead,
    ProgrammeUpdate,
)
from services.audit.tools import repository as tools
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound, invalid


def etag(p: AuditProgramme) -> str:
    return etag_for("programme", p.programme_id, p.version)


def to_read(p: AuditProgramme) -> ProgrammeRead:
    return ProgrammeRead.model_validate(p, from_attributes=True)


#: the fields ``?sort=`` of the programmes and of a programme's criteria allow
PROGRAMME_SORT = tuple(repo.PROGRAMME_SORT)
CRITERION_SORT = tuple(repo.CRITERION_SORT)


async def list_programmes(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    *,
    agency: str | None,
    action: str | None,
    criterion: str | None,
    sort: list[SortKey],
) -> Page[ProgrammeRead]:
    """Audit programmes, one page, filtered by agency, action or criterion."""
    access.require_read(caller)
    rows, total = await repo.page(
        session,
        agency=agency,
        action=action,
        criterion=criterion,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=[to_read(p) for p in rows], total=total, limit=page.limit, offset=page.offset)


async def create(session: AsyncSession, caller: Caller, body: ProgrammeCreate) -> ProgrammeRead:
    access.require_writer(caller, body.lead_agency)
    if await tools.get(session, body.tool_id) is None:
        raise invalid("tool_id", "unknown", "unknown", detail="no such audit tool")
    programme = await repo.add(session, body.model_dump())
    await events.emit(
        session,
        caller,
        "audit_programme.created",
        "audit_programme",
        programme.programme_id,
        {"title": programme.title, "lead_agency": programme.lead_agency},
    )
    return to_read(programme)


async def get(
    session: AsyncSession, caller: Caller, programme_id: int, *, lock: bool = False
) -> AuditProgramme:
    access.require_read(caller)
    programme = await repo.get(session, programme_id, lock=lock)
    if programme is None:
        raise NotFound("no such audit programme")
    return programme


async def update(
    session: AsyncSession,
    caller: Caller,
    programme_id: int,
    body: ProgrammeUpdate,
    if_match: str | None,
) -> AuditProgramme:
    programme = await get(session, caller, programme_id, lock=True)
    check_if_match(if_match, etag(programme))
    access.require_writer(caller, programme.lead_agency)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("tool_id") is not None and await tools.get(session, changes["tool_id"]) is None:
        raise invalid("tool_id", "unknown", "unknown", detail="no such audit tool")
    for key, value in changes.items():
        if value is None:
            continue
        if key == "participating_agencies":
            value = list(dict.fromkeys([programme.lead_agency, *value]))
        elif key == "linked_actions":
            value = list(dict.fromkeys(value))
        setattr(programme, key, value)
    programme.version += 1
    await repo.save(session)
    await events.emit(
        session,
        caller,
        "audit_programme.updated",
        "audit_programme",
        programme.programme_id,
        {"fields": sorted(changes)},
    )
    return programme


async def criteria(
    session: AsyncSession, caller: Caller, programme_id: int
) -> list[ProgrammeCriterionRead]:
    """The plan's success criteria this programme's grades show (all: a change answers them)."""
    await get(session, caller, programme_id)
    rows = await repo.criteria(session, programme_id)
    return [ProgrammeCriterionRead.model_validate(r, from_attributes=True) for r in rows]


async def criteria_page(
    session: AsyncSession,
    caller: Caller,
    programme_id: int,
    sort: list[SortKey],
    page: PageParams,
) -> Page[ProgrammeCriterionRead]:
    """One page of the success criteria this programme's grades show, by code unless
    ``sort`` says otherwise."""
    await get(session, caller, programme_id)
    rows, total = await repo.criteria_page(session, programme_id, sort, page)
    items = [ProgrammeCriterionRead.model_validate(r, from_attributes=True) for r in rows]
    return page_of(items, total, page)


async def link_criterion(
    session: AsyncSession, caller: Caller, programme_id: int, code: str
) -> list[ProgrammeCriterionRead]:
    """Idempotent: a link already there is left as it is, and no event is written."""
    programme = await get(session, caller, programme_id, lock=True)
    access.require_writer(caller, programme.lead_agency)
    if await repo.add_criterion(session, programme_id, code, caller.subject):
        await events.emit(
            session,
            caller,
            "audit_programme.criterion_linked",
            "audit_programme",
            programme_id,
            {"criterion_code": code},
        )
    return await criteria(session, caller, programme_id)


async def unlink_criterion(
    session: AsyncSession, caller: Caller, programme_id: int, code: str
) -> list[ProgrammeCriterionRead]:
    """Idempotent: removing a link not there changes nothing and writes no event."""
    programme = await get(session, caller, programme_id, lock=True)
    access.require_writer(caller, programme.lead_agency)
    if await repo.remove_criterion(session, programme_id, code):
        await events.emit(
            session,
            caller,
            "audit_programme.criterion_unlinked",
            "audit_programme",
            programme_id,
            {"criterion_code": code},
        )
    return await criteria(session, caller, programme_id)
