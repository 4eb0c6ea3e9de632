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
) -> dict[int, list[tuple[int, str, int]]]:
    """Per recommendation, its actions as (action id, ref, the action's plan), by plan then
    ref (a refreshed plan's recommendation may keep done actions of an earlier edition)."""
    links: dict[int, list[tuple[int, str, int]]] = {i: [] for i in recommendation_ids}
    if recommendation_ids:
        rows = await session.execute(
            select(
                RecommendationAction.recommendation_id, Action.action_id, Action.ref, Action.plan_id
            )
            .join(Action, Action.action_id == RecommendationAction.action_id)
            .where(RecommendationAction.recommendation_id.in_(recommendation_ids))
            .order_by(Action.plan_id, Action.ref)
        )
        for r in rows:
            links[r.recommendation_id].append((r.action_id, r.ref, r.plan_id))
    return links


async def earlier_editions(session: AsyncSession, plan_id: int) -> set[int]:
    """The plan's earlier editions (each refresh names the one before it)."""
    found: set[int] = set()
    previous = await session.scalar(select(Plan.previous_plan_id).where(Plan.plan_id == plan_id))
    while previous is not None and previous not in found:
        found.add(previous)
        previous = await session.scalar(
            select(Plan.previous_plan_id).where(Plan.plan_id == previous)
        )
    return found


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


async def plan_recommendations(session: AsyncSession, plan_id: int) -> list[Recommendation]:
    """Every recommendation of the plan (both sets), locked until the transaction ends."""
    rows = await session.scalars(
        select(Recommendation)
        .where(Recommendation.plan_id == plan_id)
        .order_by(Recommendation.source.desc(), Recommendation.number)
        .with_for_update()
    )
    return list(rows)


async def copy_recommendation(
    session: AsyncSession, rec: Recommendation, plan_id: int, action_ids: list[int]
) -> int:
    """The recommendation copied into another edition of its plan, linked to
    ``action_ids``: the copy's id."""
    new_id = await session.scalar(
        insert(Recommendation)
        .values(
            plan_id=plan_id,
            source=rec.source,
            number=rec.number,
            text=rec.text,
            progress_to_date=rec.progress_to_date,
            further_work=rec.further_work,
            source_fix=rec.source_fix,
        )
        .returning(Recommendation.recommendation_id)
    )
    assert new_id is not None
    if action_ids:
        await session.execute(
            insert(RecommendationAction),
            [{"recommendation_id": new_id, "action_id": a} for a in action_ids],
        )
    return int(new_id)
