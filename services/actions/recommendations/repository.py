"""SQL of recommendations and their links to actions."""

from __future__ import annotations

from sqlalchemy import delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action
from services.actions.plans.models import Plan
from services.actions.recommendations.models import Recommendation, RecommendationAction
from shared.pagination import PageParams, SortKey, order_by, page_scalars

#: field → column for ``?sort=`` (ties broken by the recommendation's id)
RECOMMENDATION_SORT = {
    "recommendation_id": Recommendation.recommendation_id,
    "plan_id": Recommendation.plan_id,
    "source": Recommendation.source,
    "number": Recommendation.number,
}


async def list_recommendations(
    session: AsyncSession,
    *,
    plan_id: int | None,
    source: str | None,
    without_actions: bool,
    sort: list[SortKey],
    page: PageParams,
) -> tuple[list[Recommendation], int]:
    stmt = select(Recommendation).order_by(
        *order_by(sort, RECOMMENDATION_SORT, Recommendation.recommendation_id)
    )
    if plan_id is not None:
        stmt = stmt.where(Recommendation.plan_id == plan_id)
    if source is not None:
        stmt = stmt.where(Recommendation.source == source)
    if without_actions:
        stmt = stmt.where(
            ~exists().where(
                RecommendationAction.recommendation_id == Recommendation.recommendation_id
            )
        )
    return await page_scalars(session, stmt, page)


async def get(
    session: AsyncSession, recommendation_id: int, *, lock: bool = False
) -> Recommendation | None:
    stmt = select(Recommendation).where(Recommendation.recommendation_id == recommendation_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def plan_status(session: AsyncSession, plan_id: int) -> str | None:
    return await session.scalar(select(Plan.status).where(Plan.plan_id == plan_id))


async def action_plan_and_ref(session: AsyncSession, action_id: int) -> tuple[int, str] | None:
    row = (
        await session.execute(
            select(Action.plan_id, Action.ref).where(Action.action_id == action_id)
        )
    ).first()
    return None if row is None else (int(row.plan_id), str(row.ref))


async def linked_actions(
    session: AsyncSession, recommendation_ids: list[int]
) -> dict[int, list[tuple[int, str]]]:
    links: dict[int, list[tuple[int, str]]] = {i: [] for i in recommendation_ids}
    if recommendation_ids:
        rows = await session.execute(
            select(RecommendationAction.recommendation_id, Action.action_id, Action.ref)
            .join(Action, Action.action_id == RecommendationAction.action_id)
            .where(RecommendationAction.recommendation_id.in_(recommendation_ids))
            .order_by(Action.ref)
        )
        for r in rows:
            links[r.recommendation_id].append((r.action_id, r.ref))
    return links


async def add_link(session: AsyncSession, recommendation_id: int, action_id: int) -> bool:
    """Whether a link was made (``False``: it was there already)."""
    made = await session.scalar(
        insert(RecommendationAction)
        .values(recommendation_id=recommendation_id, action_id=action_id)
        .on_conflict_do_nothing()
        .returning(RecommendationAction.action_id)
    )
    return made is not None


async def remove_link(session: AsyncSession, recommendation_id: int, action_id: int) -> bool:
    """Whether a link was removed (``False``: there was none)."""
    gone = await session.scalar(
        delete(RecommendationAction)
        .where(
            RecommendationAction.recommendation_id == recommendation_id,
            RecommendationAction.action_id == action_id,
        )
        .returning(RecommendationAction.action_id)
    )
    return gone is not None


async def bump_version(session: AsyncSession, recommendation_id: int) -> None:
    await session.execute(
        update(Recommendation)
        .where(Recommendation.recommendation_id == recommendation_id)
        .values(version=Recommendation.version + 1)
    )


async def update_wording(
    session: AsyncSession, recommendation_id: int, values: dict[str, str]
) -> None:
    """The given columns set and the version bumped, in one statement."""
    await session.execute(
        update(Recommendation)
        .where(Recommendation.recommendation_id == recommendation_id)
        .values(**values, version=Recommendation.version + 1)
    )
