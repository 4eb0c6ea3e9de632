"""Rules of the risk register: who keeps it, what a risk may name, how a change is recorded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.events import emit
from services.actions.risks import repository as repo
from services.actions.risks.models import Risk
from services.actions.risks.rules import check_scores
from services.actions.risks.schemas import RiskCreate, RiskRead, RiskUpdate
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound, invalid

#: Fields a change may leave out but may not set to null.
NOT_NULL = (
    "risk",
    "likelihood_before",
    "impact_before",
    "likelihood_after",
    "impact_after",
    "status",
    "mitigating_action_refs",
    "cause",
    "consequence",
)
SCORES = ("likelihood_before", "impact_before", "likelihood_after", "impact_after")


def to_read(r: Risk) -> RiskRead:
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


def etag(risk: Risk) -> str:
    return etag_for("risk", risk.risk_id, risk.version)


async def _validate_refs(
    session: AsyncSession, plan_id: int, refs: list[str] | None, owner_id: int | None
) -> None:
    if refs:
        missing = sorted(set(refs) - await repo.known_action_refs(session, plan_id, refs))
        if missing:
            raise invalid("mitigating_action_refs", "unknown action ref(s): " + ", ".join(missing))
    if owner_id is not None and not await repo.owner_exists(session, owner_id):
        raise invalid("owner_id", "no such owner")


#: the fields ``?sort=`` allows
RISK_SORT = tuple(repo.RISK_SORT)


async def list_risks(
    session: AsyncSession,
    plan_id: int | None,
    status: str | None,
    sort: list[SortKey],
    page: PageParams,
) -> Page[RiskRead]:
    rows, total = await repo.list_risks(session, plan_id, status, sort, page)
    return page_of([to_read(r) for r in rows], total, page)


async def get(session: AsyncSession, risk_id: int) -> tuple[RiskRead, str]:
    """The risk and its ETag."""
    risk = await repo.get_risk(session, risk_id)
    if risk is None:
        raise NotFound("no such risk")
    return to_read(risk), etag(risk)


def check_create(caller: Caller, body: RiskCreate) -> None:
    """What needs no database: rights and scores (before the Idempotency-Key is looked at)."""
    access.require_plan_manager(caller)
    check_scores(
        body.likelihood_before, body.impact_before, body.likelihood_after, body.impact_after
    )


async def create(session: AsyncSession, caller: Caller, body: RiskCreate) -> tuple[RiskRead, str]:
    """Add a risk to a plan (after :func:`check_create`); the risk and its ETag."""
    if not await repo.plan_exists(session, body.plan_id):
        raise invalid("plan_id", "no such plan", "unknown_plan")
    await _validate_refs(session, body.plan_id, body.mitigating_action_refs, body.owner_id)
    risk = await repo.insert_risk(session, body.model_dump())
    await emit(session, caller, "risk.created", "risk", risk.risk_id, {"plan_id": body.plan_id})
    return to_read(risk), etag(risk)


async def update(
    session: AsyncSession, caller: Caller, risk_id: int, body: RiskUpdate, if_match: str | None
) -> tuple[RiskRead, str]:
    """Change a risk (the If-Match must name its current version); the risk and its ETag."""
    access.require_plan_manager(caller)
    risk = await repo.lock_risk(session, risk_id)
    if risk is None:
        raise NotFound("no such risk")
    check_if_match(if_match, etag(risk))
    values = body.model_dump(exclude_unset=True)
    for required in NOT_NULL:
        if required in values and values[required] is None:
            raise invalid(required, "may not be null")
    check_scores(**{name: values.get(name, getattr(risk, name)) for name in SCORES})
    await _validate_refs(
        session, risk.plan_id, values.get("mitigating_action_refs"), values.get("owner_id")
    )
    await repo.update_risk(session, risk, values)
    await emit(session, caller, "risk.updated", "risk", risk_id, {"fields": sorted(values)})
    return to_read(risk), etag(risk)
