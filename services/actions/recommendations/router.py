"""HTTP for recommendations (Ofsted's and the LSCB's) and the actions answering them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.actions.recommendations import service
from services.actions.recommendations.schemas import (
    RecommendationRead,
    RecommendationUpdate,
    Source,
)
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/recommendations", tags=["recommendations"])
RecommendationId = Annotated[int, Path(ge=1, le=2_147_483_647)]
ActionId = Annotated[int, Path(ge=1, le=2_147_483_647)]


@router.get("", summary="Recommendations")
async def list_recommendations(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[
        list[SortKey], sort_query(service.RECOMMENDATION_SORT, "plan_id,-source,number")
    ],
    plan_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    source: Annotated[
        Source | None, Query(description="'ofsted' (to the local authority) or 'lscb'")
    ] = None,
    without_actions: Annotated[
        bool, Query(description="only the recommendations no action answers")
    ] = False,
) -> Page[RecommendationRead]:
    return await service.list_recommendations(
        session,
        caller,
        plan_id=plan_id,
        source=source,
        without_actions=without_actions,
        sort=sort,
        page=page,
    )


@router.get("/{recommendation_id}", response_model=RecommendationRead, summary="One recommendation")
async def get_recommendation(
    session: SessionDep, caller: CallerDep, recommendation_id: RecommendationId, response: Response
) -> RecommendationRead:
    found, tag = await service.get(session, caller, recommendation_id)
    response.headers["ETag"] = tag
    return found


@router.patch(
    "/{recommendation_id}",
    response_model=RecommendationRead,
    summary="Correct a recommendation's wording or progress notes (plan managers; If-Match)",
)
async def update_recommendation(
    session: SessionDep,
    caller: CallerDep,
    recommendation_id: RecommendationId,
    body: RecommendationUpdate,
    response: Response,
    if_match: IfMatchHeader = None,
) -> RecommendationRead:
    """The text (the LSCB set is loaded without it: the seed plan does not print it), the
    progress to date and the further work, each optional; the source and number stay. Send the
    ETag of your last read in ``If-Match`` (428 without it, 412 if it changed since)."""
    found, tag = await service.update(session, caller, recommendation_id, body, if_match)
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
