"""Closing a sprint: snapshot what was due, done and carried over; carry the rest on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.actions import repository as actions
from services.actions.actions.rag import DONE
from services.actions.events import emit
from services.actions.plans import repository as plans
from services.actions.sprints import repository as repo
from services.actions.sprints.models import Sprint
from services.actions.sprints.schemas import SprintRead
from shared.clock import utc_now
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound, conflict


def sprint_etag(sprint: Sprint) -> str:
    return etag_for("sprint", sprint.sprint_id, sprint.version)


#: the fields ``?sort=`` allows
SPRINT_SORT = tuple(repo.SPRINT_SORT)


async def list_sprints(
    session: AsyncSession, plan_id: int | None, sort: list[SortKey], page: PageParams
) -> Page[SprintRead]:
    rows, total = await repo.list_sprints(session, plan_id, sort, page)
    return page_of([SprintRead.model_validate(s, from_attributes=True) for s in rows], total, page)


async def get(session: AsyncSession, sprint_id: int) -> tuple[SprintRead, str]:
    """The sprint and its ETag."""
    sprint = await repo.get_sprint(session, sprint_id)
    if sprint is None:
        raise NotFound("no such sprint")
    return SprintRead.model_validate(sprint, from_attributes=True), sprint_etag(sprint)


async def close_sprint(
    session: AsyncSession, caller: Caller, sprint_id: int, if_match: str | None
) -> Sprint:
    access.require_plan_manager(caller)
    sprint = await repo.get_sprint(session, sprint_id, lock=True)
    if sprint is None:
        raise NotFound("no such sprint")
    check_if_match(if_match, sprint_etag(sprint))
    if sprint.status == "closed":
        raise conflict("status", "the sprint is already closed", "sprint_closed")
    plan = await plans.get_plan(session, sprint.plan_id)
    if plan is None or plan.status == "closed":
        raise conflict("plan_id", "the plan is closed; it takes no more changes", "plan_closed")
    earlier = await repo.earlier_open(session, sprint.plan_id, sprint.number)
    if earlier:
        raise conflict(
            "sprint_id",
            f"sprints close in order: sprint {earlier[0]} is still open",
            "earlier_sprint_open",
            open_sprints=earlier,
        )
    in_sprint = await repo.actions_in(session, sprint.plan_id, sprint.number)
    done = [a for a in in_sprint if a.status in DONE]
    outstanding = [a for a in in_sprint if a.status not in DONE]
    following = await repo.next_sprint(session, sprint.plan_id, sprint.number)
    carried = outstanding if following is not None else []
    snapshot: dict[str, Any] = {
        "due": [a.ref for a in in_sprint],
        "done": [a.ref for a in done],
        "carried_over": [a.ref for a in carried],
        "outstanding": [a.ref for a in outstanding],
        "statuses": {a.ref: a.status for a in in_sprint},
        "percent_complete": {a.ref: a.percent_complete for a in in_sprint},
        "counts": {"due": len(in_sprint), "done": len(done), "carried_over": len(carried)},
        "carried_to": following.number if following is not None and carried else None,
    }
    if following is not None:
        await repo.move_actions(session, [a.action_id for a in carried], following.number)
        for a in carried:
            await actions.add_event(
                session,
                a.action_id,
                "carried_over",
                {"from_sprint": sprint.number, "to_sprint": following.number, "status": a.status},
                caller.subject,
                caller.agency,
            )
    await repo.close(
        session,
        sprint.sprint_id,
        {"closed_at": utc_now(), "closed_by": caller.subject, "snapshot": snapshot},
    )
    await emit(
        session,
        caller,
        "sprint.closed",
        "sprint",
        sprint.sprint_id,
        {"plan_id": sprint.plan_id, "number": sprint.number, **snapshot["counts"]},
    )
    await session.refresh(sprint)
    return sprint
