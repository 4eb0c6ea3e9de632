"""HTTP for Ofsted recommendations and the actions answering them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action
from services.actions.recommendations.models import Recommendation, RecommendationAction
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.problems import NotFound

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])


class RecommendationRead(BaseModel):
    recommendation_id: int
    plan_id: int
    number: int
    text: str
    progress_to_date: str
    further_work: str
    source_fix: str | None
    actions: list[dict[str, Any]]


async def _read(session: AsyncSession, recs: list[Recommendation]) -> list[RecommendationRead]:
    ids = [r.recommendation_id for r in recs]
    links: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        rows = await session.execute(
            select(RecommendationAction.recommendation_id, Action.action_id, Action.ref)
            .join(Action, Action.action_id == RecommendationAction.action_id)
            .where(RecommendationAction.recommendation_id.in_(ids))
            .order_by(Action.ref)
        )
        for r in rows:
            links[r.recommendation_id].append({"action_id": r.action_id, "ref": r.ref})
    return [
        RecommendationRead(
            recommendation_id=r.recommendation_id,
            plan_id=r.plan_id,
            number=r.number,
            text=r.text,
            progress_to_date=r.progress_to_date,
            further_work=r.further_work,
            source_fix=r.source_fix,
            actions=links[r.recommendation_id],
        )
        for r in recs
    ]


@router.get("", response_model=list[RecommendationRead], summary="Ofsted recommendations")
async def list_recommendations(
    session: SessionDep, caller: CallerDep, plan_id: Annotated[int | None, Query(ge=1)] = None
) -> list[RecommendationRead]:
    stmt = select(Recommendation).order_by(Recommendation.plan_id, Recommendation.number)
    if plan_id is not None:
        stmt = stmt.where(Recommendation.plan_id == plan_id)
    return await _read(session, list(await session.scalars(stmt)))


@router.get("/{recommendation_id}", response_model=RecommendationRead, summary="One recommendation")
async def get_recommendation(
    session: SessionDep,
    caller: CallerDep,
    recommendation_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
) -> RecommendationRead:
    rec = await session.get(Recommendation, recommendation_id)
    if rec is None:
        raise NotFound("no such recommendation")
    return (await _read(session, [rec]))[0]
