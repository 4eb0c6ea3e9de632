"""HTTP for case audits. Reads return an ETag; every change needs If-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from services.audit.audits import service
from services.audit.audits.models import CaseAudit
from services.audit.audits.schemas import (
    AuditCreate,
    AuditRead,
    AuditStatus,
    AuditUpdate,
    Moderation,
    SectionUpdate,
)
from services.audit.db import idempotency_keys
from services.audit.events import TrailBound, idempotency_scope
from services.audit.params import IdPath, IdQuery, text_query
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.idempotency import IdempotencyKeyHeader, run_idempotent_post
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query
from shared.vocabulary import AGENCY_CODE

router = APIRouter(prefix="/v1/audits", tags=["audits"], dependencies=[TrailBound])
AgencyPath = Annotated[str, Path(pattern=AGENCY_CODE)]
TeamQuery = Annotated[str | None, text_query(40)]


async def _answer(session: SessionDep, audit: CaseAudit, response: Response) -> AuditRead:
    response.headers["ETag"] = service.etag(audit)
    return await service.read(session, audit)


@router.get("", summary="Audits the caller's agency takes part in (the read is recorded)")
async def list_audits(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.AUDIT_SORT, "audit_id")],
    programme_id: IdQuery = None,
    status: AuditStatus | None = None,
    team_code: TeamQuery = None,
) -> Page[AuditRead]:
    return await service.list_audits(
        session,
        caller,
        page,
        programme_id=programme_id,
        status=status,
        team_code=team_code,
        sort=sort,
    )


@router.post(
    "", status_code=201, response_model=AuditRead, summary="Start an audit of a case (draft)"
)
async def create_audit(
    body: AuditCreate,
    caller: CallerDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """A draft audit of one case in a programme, on the tool version it is done on (`tool_id`).
    `case_ref` is a pseudonymous reference, never a name. Keep the answer's ETag to change the
    audit.
    """

    async def produce() -> tuple[int, object, dict[str, str]]:
        audit = await service.create(session, caller, body)
        return 201, await service.read(session, audit), {"ETag": service.etag(audit)}

    return await run_idempotent_post(
        session,
        idempotency_keys,
        request,
        body,
        scope=idempotency_scope(caller),
        key=idempotency_key,
        produce=produce,
    )


@router.get("/{audit_id}", summary="One audit with its sections (the read is recorded)")
async def get_audit(
    audit_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
) -> AuditRead:
    audit = await service.get_recorded(session, caller, audit_id)
    return await _answer(session, audit, response)


@router.patch("/{audit_id}", summary="Overall grade, joint conclusion, team or worker (draft)")
async def update_audit(
    audit_id: IdPath,
    body: AuditUpdate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> AuditRead:
    audit = await service.update(session, caller, audit_id, body, if_match)
    return await _answer(session, audit, response)


@router.put("/{audit_id}/sections/{agency}", summary="An agency's answers to its section")
async def update_section(
    audit_id: IdPath,
    agency: AgencyPath,
    body: SectionUpdate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> AuditRead:
    audit = await service.update_section(session, caller, audit_id, agency, body, if_match)
    return await _answer(session, audit, response)


@router.post("/{audit_id}/submit", summary="draft → submitted")
async def submit_audit(
    audit_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> AuditRead:
    audit = await service.submit(session, caller, audit_id, if_match)
    return await _answer(session, audit, response)


@router.post("/{audit_id}/moderate", summary="submitted → moderated (another person)")
async def moderate_audit(
    audit_id: IdPath,
    body: Moderation,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> AuditRead:
    audit = await service.moderate(session, caller, audit_id, body, if_match)
    return await _answer(session, audit, response)


@router.post("/{audit_id}/close", summary="moderated → closed (locked)")
async def close_audit(
    audit_id: IdPath,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> AuditRead:
    audit = await service.close(session, caller, audit_id, if_match)
    return await _answer(session, audit, response)
