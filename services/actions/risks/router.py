"""HTTP for the risk register (read by all, kept by the plan managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.actions.models import Action
from services.actions.db import idempotency
from services.actions.events import emit, invalid
from services.actions.plans.models import Owner, Plan
from services.actions.risks.models import Risk
from services.actions.risks.rules import check_scores
from services.actions.risks.schemas import RiskCreate, RiskPatch, RiskRead
from shared.db import SessionDep
from shared.etag import IfMatchHeader, check_if_match, etag_for
from shared.idempotency import IdempotencyKeyHeader, caller_scope, run_idempotent_post
from shared.identity import CallerDep
from shared.problems import NotFound

router = APIRouter(prefix="/v1/risks", tags=["risks"])
RiskId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _read(r: Risk) -> RiskRead:
    return RiskRead(
        risk_id=r.risk_id,
        plan_id=r.plan_id,
        risk=r.risk,
        cause=r.cause,
        consequence=r.consequence,
        owner_id=r.owner_id,
        likelihood_before=r.likelihood_before,
        impact_before=r.impact_before,
        score_before=r.likelihood_before * r.impact_before,
        likelihood_after=r.likelihood_after,
        impact_after=r.impact_after,
        score_after=r.likelihood_after * r.impact_after,
        mitigating_action_refs=list(r.mitigating_action_refs),
        review_date=r.review_date,
        status=r.status,
        version=r.version,
        updated_at=r.updated_at,
    )


async def _validate_refs(
    session: AsyncSession, plan_id: int, refs: list[str] | None, owner_id: int | None
) -> None:
    if refs:
        found = set(
            await session.scalars(
                select(Action.ref).where(Action.plan_id == plan_id, Action.ref.in_(refs))
            )
        )
        missing = sorted(set(refs) - found)
        if missing:
            raise invalid("mitigating_action_refs", "unknown action ref(s): " + ", ".join(missing))
    if owner_id is not None and await session.get(Owner, owner_id) is None:
        raise invalid("owner_id", "no such owner")


@router.get("", response_model=list[RiskRead], summary="The risk register")
async def list_risks(
    session: SessionDep,
    caller: CallerDep,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    status: Annotated[str | None, Query(pattern="^(open|mitigated|closed)$")] = None,
) -> list[RiskRead]:
    stmt = select(Risk).order_by((Risk.likelihood_after * Risk.impact_after).desc(), Risk.risk_id)
    if plan_id is not None:
        stmt = stmt.where(Risk.plan_id == plan_id)
    if status is not None:
        stmt = stmt.where(Risk.status == status)
    return [_read(r) for r in await session.scalars(stmt)]


@router.get("/{risk_id}", response_model=RiskRead, summary="One risk")
async def get_risk(
    session: SessionDep, caller: CallerDep, risk_id: RiskId, response: Response
) -> RiskRead:
    risk = await session.get(Risk, risk_id)
    if risk is None:
        raise NotFound("no such risk")
    response.headers["ETag"] = etag_for("risk", risk.risk_id, risk.version)
    return _read(risk)


@router.post("", status_code=201, response_model=RiskRead, summary="Add a risk")
async def create_risk(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    body: RiskCreate,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    access.require_plan_manager(caller)
    check_scores(
        body.likelihood_before, body.impact_before, body.likelihood_after, body.impact_after
    )

    async def produce() -> tuple[int, object, dict[str, str]]:
        plan = await session.get(Plan, body.plan_id)
        if plan is None:
            raise invalid("plan_id", "no such plan", "unknown_plan")
        await _validate_refs(session, body.plan_id, body.mitigating_action_refs, body.owner_id)
        risk_id = await session.scalar(
            insert(Risk).values(**body.model_dump()).returning(Risk.risk_id)
        )
        await emit(session, caller, "risk.created", "risk", risk_id, {"plan_id": body.plan_id})
        risk = await session.get(Risk, risk_id)
        assert risk is not None
        return 201, _read(risk), {"ETag": etag_for("risk", risk.risk_id, risk.version)}

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
    body: RiskPatch,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RiskRead:
    access.require_plan_manager(caller)
    risk = await session.scalar(select(Risk).where(Risk.risk_id == risk_id).with_for_update())
    if risk is None:
        raise NotFound("no such risk")
    check_if_match(if_match, etag_for("risk", risk.risk_id, risk.version))
    values = body.model_dump(exclude_unset=True)
    for required in (
        "risk",
        "likelihood_before",
        "impact_before",
        "likelihood_after",
        "impact_after",
        "status",
        "mitigating_action_refs",
        "cause",
        "consequence",
    ):
        if required in values and values[required] is None:
            raise invalid(required, "may not be null")
    scores = {
        name: values.get(name, getattr(risk, name))
        for name in ("likelihood_before", "impact_before", "likelihood_after", "impact_after")
    }
    check_scores(**scores)
    await _validate_refs(
        session, risk.plan_id, values.get("mitigating_action_refs"), values.get("owner_id")
    )
    await session.execute(
        update(Risk)
        .where(Risk.risk_id == risk_id)
        .values(**values, version=Risk.version + 1, updated_at=func.now())
    )
    await emit(session, caller, "risk.updated", "risk", risk_id, {"fields": sorted(values)})
    await session.refresh(risk)
    response.headers["ETag"] = etag_for("risk", risk.risk_id, risk.version)
    return _read(risk)
