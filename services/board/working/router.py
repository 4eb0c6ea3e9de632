"""HTTP for "is it working?": statuses per success criterion and per recommendation."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.board.inspection import service as inspection
from services.board.working import service
from services.board.working.schemas import RuleRead, StatusList, StatusRead
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/board", tags=["board status"])
StatusQuery = Annotated[
    Literal["working", "improving", "not yet", "not working", "no evidence"] | None, Query()
]
PlanQuery = Annotated[int | None, Query(ge=1, le=2_147_483_647)]


def _cache(request: Request) -> service.EvidenceCache:
    cache: service.EvidenceCache = request.app.state.evidence
    return cache


CacheDep = Annotated[service.EvidenceCache, Depends(_cache)]


@router.get(
    "/criteria-status",
    summary="Is it working? Every success criterion's computed status, with its reasons",
)
async def list_criteria_status(
    caller: CallerDep,
    cache: CacheDep,
    page: PageDep,
    sort: Annotated[
        list[SortKey], sort_query(tuple(service.CRITERION_SORT), service.STATUS_SORT_DEFAULT)
    ],
    plan_id: PlanQuery = None,
    status: StatusQuery = None,
) -> StatusList:
    """Each criterion: working / improving / not yet / not working / no evidence, the reasons
    (each naming its action, release or audit), the declared RAG beside it and whether they
    disagree, and the rule version. Partners see the criteria their agency takes part in."""
    return await service.list_criteria(
        cache, caller, page, plan_id=plan_id, status=status, sort=sort
    )


@router.get(
    "/criteria/{criterion_id}/status",
    summary="Is it working? One success criterion's status, reasons and evidence",
)
async def get_criterion_status(
    caller: CallerDep,
    cache: CacheDep,
    criterion_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> StatusRead:
    """One criterion's status with every reason and the evidence it links to."""
    return await service.one_criterion(cache, caller, criterion_id)


@router.get(
    "/recommendations-status",
    summary="Is it working? Every Ofsted and LSCB recommendation's status, from its actions",
)
async def list_recommendations_status(
    caller: CallerDep,
    cache: CacheDep,
    page: PageDep,
    sort: Annotated[
        list[SortKey],
        sort_query(tuple(service.RECOMMENDATION_SORT), service.STATUS_SORT_DEFAULT),
    ],
    plan_id: PlanQuery = None,
    status: StatusQuery = None,
) -> StatusList:
    """Each recommendation, from its linked actions and the indicators and audits of their
    criteria; one with no action says 'no evidence'."""
    return await service.list_recommendations(
        cache, caller, page, plan_id=plan_id, status=status, sort=sort
    )


@router.get(
    "/status-rule",
    summary="The rule the statuses are computed by, and its version",
)
async def get_status_rule(caller: CallerDep) -> RuleRead:
    """The rule, as written in the one module that computes it, with its version."""
    return service.rule_text(caller)


@router.post(
    "/inspection-packs",
    summary="The re-inspection evidence pack: a signed archive of every recommendation's chain",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def create_inspection_pack(
    caller: CallerDep, session: SessionDep, cache: CacheDep, request: Request
) -> Response:
    """Per recommendation: its status and reasons, its actions with their updates and
    evidence references, the signed releases and graded audits behind it; a manifest of
    SHA-256 hashes, its ES256 signature and the public key. Verify offline with
    ``python -m services.board.inspection.verify ARCHIVE``."""
    body = await inspection.make(session, caller, cache, request.app.state.pack_signer)
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="inspection-pack.zip"'},
    )
