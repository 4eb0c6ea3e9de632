"""Rules of recommendations: every reader of the plan reads them (both sets); the council's
plan managers link and unlink the actions answering them, on a plan not closed.

A plan manager corrects a recommendation's wording and progress notes (the LSCB set is loaded
with its text missing, as the seed plan prints none of it): ``If-Match`` is required, the
fields changed are named in the event, an unchanged value is no change.

A refreshed plan's recommendation may keep, as history, links to done actions of the
closed edition (``services.actions.plans.carry``): such a link may be removed, never made
by hand. Linking is idempotent (PUT and DELETE of the link): repeating a request changes nothing and
writes no event; each real change bumps the recommendation's version (its ETag) and writes
one event. A writer who sends ``If-Match`` is refused (412) if the links changed since their
read, so a decision taken on a stale list is not applied.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.events import emit
from services.actions.recommendations import repository as repo
from services.actions.recommendations.models import Recommendation
from services.actions.recommendations.schemas import (
    LinkedAction,
    RecommendationRead,
    RecommendationUpdate,
)
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound, conflict, invalid


def etag(rec: Recommendation) -> str:
    return etag_for("recommendation", rec.recommendation_id, rec.version)


async def _read(session: AsyncSession, recs: list[Recommendation]) -> list[RecommendationRead]:
    links = await repo.linked_actions(session, [r.recommendation_id for r in recs])
    return [
        RecommendationRead(
            recommendation_id=r.recommendation_id,
            plan_id=r.plan_id,
            source=r.source,
            number=r.number,
            text=r.text,
            progress_to_date=r.progress_to_date,
            further_work=r.further_work,
            source_fix=r.source_fix,
            version=r.version,
            actions=[
                LinkedAction(action_id=a, ref=ref, plan_id=p)
                for a, ref, p in links[r.recommendation_id]
            ],
        )
        for r in recs
    ]


#: the fields ``?sort=`` allows
RECOMMENDATION_SORT = tuple(repo.RECOMMENDATION_SORT)


async def list_recommendations(
    session: AsyncSession,
    caller: Caller,
    *,
    plan_id: int | None,
    source: str | None,
    without_actions: bool,
    sort: list[SortKey],
    page: PageParams,
) -> Page[RecommendationRead]:
    access.require_plan_reader(caller)
    recs, total = await repo.list_recommendations(
        session,
        plan_id=plan_id,
        source=source,
        without_actions=without_actions,
        sort=sort,
        page=page,
    )
    return page_of(await _read(session, recs), total, page)


async def get(
    session: AsyncSession, caller: Caller, recommendation_id: int
) -> tuple[RecommendationRead, str]:
    access.require_plan_reader(caller)
    rec = await repo.get(session, recommendation_id)
    if rec is None:
        raise NotFound("no such recommendation")
    return (await _read(session, [rec]))[0], etag(rec)


async def _for_change(
    session: AsyncSession,
    caller: Caller,
    recommendation_id: int,
    action_id: int,
    if_match: str | None,
    *,
    unlinking: bool = False,
) -> tuple[Recommendation, str]:
    access.require_plan_manager(caller)
    rec = await repo.get(session, recommendation_id, lock=True)
    if rec is None:
        raise NotFound("no such recommendation")
    if if_match:
        check_if_match(if_match, etag(rec))
    if await repo.plan_status(session, rec.plan_id) == "closed":
        raise conflict("recommendation_id", "the plan is closed", "plan_closed")
    action = await repo.action_plan_and_ref(session, action_id)
    if action is None:
        raise NotFound("no such action")
    plan_of_action, ref = action
    # a done action of an earlier edition, linked by a refresh as history, may be unlinked
    # (idempotently, as any link); only a refresh makes such a link
    history = unlinking and plan_of_action in await repo.earlier_editions(session, rec.plan_id)
    if plan_of_action != rec.plan_id and not history:
        raise invalid("action_id", "the action belongs to another plan", "other_plan", where="path")
    return rec, ref


async def _changed(
    session: AsyncSession, caller: Caller, rec: Recommendation, event: str, action_id: int, ref: str
) -> None:
    await repo.bump_version(session, rec.recommendation_id)
    await emit(
        session,
        caller,
        event,
        "recommendation",
        rec.recommendation_id,
        {
            "plan_id": rec.plan_id,
            "source": rec.source,
            "number": rec.number,
            "action_id": action_id,
            "action_ref": ref,
        },
    )
    await session.refresh(rec)


async def link(
    session: AsyncSession,
    caller: Caller,
    recommendation_id: int,
    action_id: int,
    if_match: str | None,
) -> tuple[RecommendationRead, str]:
    rec, ref = await _for_change(session, caller, recommendation_id, action_id, if_match)
    if await repo.add_link(session, rec.recommendation_id, action_id):
        await _changed(session, caller, rec, "recommendation.action_linked", action_id, ref)
    return (await _read(session, [rec]))[0], etag(rec)


async def unlink(
    session: AsyncSession,
    caller: Caller,
    recommendation_id: int,
    action_id: int,
    if_match: str | None,
) -> tuple[RecommendationRead, str]:
    rec, ref = await _for_change(
        session, caller, recommendation_id, action_id, if_match, unlinking=True
    )
    if await repo.remove_link(session, rec.recommendation_id, action_id):
        await _changed(session, caller, rec, "recommendation.action_unlinked", action_id, ref)
    return (await _read(session, [rec]))[0], etag(rec)


async def update(
    session: AsyncSession,
    caller: Caller,
    recommendation_id: int,
    body: RecommendationUpdate,
    if_match: str | None,
) -> tuple[RecommendationRead, str]:
    """The recommendation's wording or notes changed; the recommendation and its new ETag."""
    access.require_plan_manager(caller)
    rec = await repo.get(session, recommendation_id, lock=True)
    if rec is None:
        raise NotFound("no such recommendation")
    check_if_match(if_match, etag(rec))
    if await repo.plan_status(session, rec.plan_id) == "closed":
        raise conflict("recommendation_id", "the plan is closed", "plan_closed")
    sent = body.model_dump(exclude_unset=True)
    for name, value in sent.items():
        if value is None:
            raise invalid(name, "may not be null", "null")
    changed = {k: v for k, v in sent.items() if v != getattr(rec, k)}
    if changed:
        await repo.update_wording(session, rec.recommendation_id, changed)
        await emit(
            session,
            caller,
            "recommendation.updated",
            "recommendation",
            rec.recommendation_id,
            {
                "plan_id": rec.plan_id,
                "source": rec.source,
                "number": rec.number,
                "fields": sorted(changed),
            },
        )
        await session.refresh(rec)
    return (await _read(session, [rec]))[0], etag(rec)
