"""HTTP for the risk register (read by all, kept by the plan managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from services.actions.db import idempotency
from services.actions.risks import service
from services.actions.risks.schemas import RiskCreate, RiskRead, RiskUpdate
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.idempotency import IdempotencyKeyHeader, caller_scope, run_idempotent_post
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/risks", tags=["risks"])
RiskId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("", summary="The risk register, highest residual score first")
async def list_risks(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.RISK_SORT, "-score_after")],
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(pattern="^(open|mitigated|closed)$")] = None,
) -> Page[RiskRead]:
    return await service.list_risks(session, plan_id, status, sort, page)


@router.get("/{risk_id}", response_model=RiskRead, summary="One risk")
async def get_risk(
    session: SessionDep, caller: CallerDep, risk_id: RiskId, response: Response
) -> RiskRead:
    risk, response.headers["ETag"] = await service.get(session, risk_id)
    return risk


@router.post("", status_code=201, response_model=RiskRead, summary="Add a risk")
async def create_risk(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    body: RiskCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    service.check_create(caller, body)

    async def produce() -> tuple[int, object, dict[str, str]]:
        risk, etag = await service.create(session, caller, body)
        return 201, risk, {"ETag": etag}

    return await run_idempotent_post(
        session,
        idempotency,
        request,
        body,
        scope=caller_scope(caller),
        key=idempotency_key,
        produce=produce,
    )


@router.patch("/{risk_id}", response_model=RiskRead, summary="Change a risk")
async def patch_risk(
    session: SessionDep,
    caller: CallerDep,
    risk_id: RiskId,
    body: RiskUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RiskRead:
    risk, response.headers["ETag"] = await service.update(session, caller, risk_id, body, if_match)
    return risk
