"""HTTP for findings. Reads return an ETag; transitions need If-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from services.audit.db import idempotency_keys
from services.audit.events import TrailBound, idempotency_scope
from services.audit.findings import service
from services.audit.findings.schemas import (
    FindingCreate,
    FindingRead,
    FindingStatus,
    FindingUpdate,
    Transition,
)
from services.audit.params import IdPath, IdQuery, text_query
from shared.clock import utc_today
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.idempotency import IdempotencyKeyHeader, run_idempotent_post
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/findings", tags=["findings"], dependencies=[TrailBound])


@router.get("", summary="Findings of audits the caller's agency takes part in")
async def list_findings(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.FINDING_SORT, "finding_id")],
    audit_id: IdQuery = None,
    status: FindingStatus | None = None,
    agency: Annotated[str | None, text_query(40)] = None,
    overdue: bool = False,
    recheck_overdue: bool = False,
) -> Page[FindingRead]:
    return await service.list_findings(
        session,
        caller,
        page,
        audit_id=audit_id,
        status=status,
        owner_agency=agency,
        only_overdue=overdue,
        only_recheck_overdue=recheck_overdue,
        sort=sort,
    )


@router.post(
    "", status_code=201, response_model=FindingRead, summary="Record a finding of an audit"
)
async def create_finding(
    body: FindingCreate,
    caller: CallerDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def produce() -> tuple[int, object, dict[str, str]]:
        finding = await service.create(session, caller, body)
        read = service.to_read(finding, utc_today())
        return 201, read, {"ETag": service.etag(finding)}

    return await run_idempotent_post(
        session,
        idempotency_keys,
        request,
        body,
        scope=idempotency_scope(caller),
        key=idempotency_key,
        produce=produce,
    )


@router.get("/{finding_id}", summary="One finding")
async def get_finding(
    finding_id: IdPath, caller: CallerDep, session: SessionDep, response: Response
) -> FindingRead:
    finding, _ = await service.get(session, caller, finding_id)
    response.headers["ETag"] = service.etag(finding)
    return service.to_read(finding, utc_today())


@router.patch(
    "/{finding_id}",
    summary="Set or remove the owner's e-mail of a finding (needs If-Match)",
)
async def update_finding(
    finding_id: IdPath,
    body: FindingUpdate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> FindingRead:
    """The owner's e-mail, where the daily notice of overdue findings goes (never shown in
    reads). A QA writer (auditor, plan manager, administrator, or `audit:write`) of an agency
    taking part in the finding's audit, as for recording a finding; `If-Match` with the ETag
    of the last read. The trail gets `finding.updated` naming the field, never the address."""
    finding = await service.update(session, caller, finding_id, body, if_match)
    response.headers["ETag"] = service.etag(finding)
    return service.to_read(finding, utc_today())


@router.post("/{finding_id}/transitions", summary="Move a finding along the learning loop")
async def transition_finding(
    finding_id: IdPath,
    body: Transition,
    caller: CallerDep,
    session: SessionDep,
    request: Request,
    response: Response,
    if_match: IfMatchHeader = None,
) -> FindingRead:
    finding = await service.transition(
        session,
        caller,
        finding_id,
        body,
        if_match,
        recheck_after_days=request.app.state.settings.recheck_after_days,
    )
    response.headers["ETag"] = service.etag(finding)
    return service.to_read(finding, utc_today())
