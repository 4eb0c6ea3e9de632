"""HTTP for recommendations (Ofsted's and the LSCB's) and the actions answering them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.actions.recommendations import service
from services.actions.recommendations.schemas import RecommendationRead, Source
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])
RecommendationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
ActionId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("", summary="Recommendations")
async def list_recommendations(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    plan_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    source: Annotated[
        Source | None, Query(description="'ofsted' (to the local authority) or 'lscb'")
    ] = None,
    without_actions: Annotated[
        bool, Query(description="only the recommendations no action answers")
    ] = False,
) -> Page[RecommendationRead]:
    return await service.list_recommendations(
        session, caller, plan_id=plan_id, source=source, without_actions=without_actions, page=page
    )


@router.get("/{recommendation_id}", response_model=RecommendationRead, summary="One recommendation")
async def get_recommendation(
    session: SessionDep, caller: CallerDep, recommendation_id: RecommendationId, response: Response
) -> RecommendationRead:
    found, tag = await service.get(session, caller, recommendation_id)
    response.headers["ETag"] = tag
    return found


@router.put(
    "/{recommendation_id}/actions/{action_id}",
    response_model=RecommendationRead,
    summary="Link an action answering the recommendation (plan managers; idempotent)",
)
async def link_action(
    session: SessionDep,
    caller: CallerDep,
    recommendation_id: RecommendationId,
    action_id: ActionId,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RecommendationRead:
    found, tag = await service.link(session, caller, recommendation_id, action_id, if_match)
    response.headers["ETag"] = tag
    return found


@router.delete(
    "/{recommendation_id}/actions/{action_id}",
    response_model=RecommendationRead,
    summary="Unlink an action from the recommendation (plan managers; idempotent)",
)
async def unlink_action(
    session: SessionDep,
    caller: CallerDep,
    recommendation_id: RecommendationId,
    action_id: ActionId,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RecommendationRead:
    """An action of the recommendation's plan, or a done action of an earlier edition that
    a plan refresh linked as history (such a link is never made by hand)."""
    found, tag = await service.unlink(session, caller, recommendation_id, action_id, if_match)
    response.headers["ETag"] = tag
    return found
