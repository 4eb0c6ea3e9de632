"""Rules of criterion → indicator links: plan managers change them on a plan not closed;
every reader of the plan reads them. Each change is an event for the trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions import access
from services.actions.criteria import repository as repo
from services.actions.criteria.schemas import CriterionIndicatorCreate, CriterionIndicatorRead
from services.actions.events import emit
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound, conflict


async def _criterion(session: AsyncSession, criterion_id: int) -> Any:
    found = await repo.criterion_with_plan(session, criterion_id)
    if found is None:
        raise NotFound("no such success criterion")
    return found


#: the fields ``?sort=`` of the links allows
LINK_SORT = tuple(repo.LINK_SORT)


async def list_links(
    session: AsyncSession,
    caller: Caller,
    criterion_id: int,
    sort: list[SortKey],
    page: PageParams,
) -> Page[CriterionIndicatorRead]:
    access.require_plan_reader(caller)
    await _criterion(session, criterion_id)
    rows, total = await repo.list_links(session, criterion_id=criterion_id, sort=sort, page=page)
    return page_of([CriterionIndicatorRead.model_validate(r) for r in rows], total, page)


async def list_all(
    session: AsyncSession,
    caller: Caller,
    plan_id: int | None,
    indicator_code: str | None,
    sort: list[SortKey],
    page: PageParams,
) -> Page[CriterionIndicatorRead]:
    access.require_plan_reader(caller)
    rows, total = await repo.list_links(
        session, plan_id=plan_id, indicator_code=indicator_code, sort=sort, page=page
    )
    return page_of([CriterionIndicatorRead.model_validate(r) for r in rows], total, page)


async def add_link(
    session: AsyncSession, caller: Caller, criterion_id: int, body: CriterionIndicatorCreate
) -> CriterionIndicatorRead:
    access.require_plan_manager(caller)
    criterion, plan = await _criterion(session, criterion_id)
    if plan.status == "closed":
        raise conflict("criterion_id", "the plan is closed", "plan_closed")
    row = await repo.insert_link(
        session, body.model_dump() | {"criterion_id": criterion_id, "created_by": caller.subject}
    )
    if row is None:
        raise conflict(
            "indicator_code",
            "this criterion already links to that indicator; remove the link to change it",
            "link_exists",
        )
    await emit(
        session,
        caller,
        "criterion_indicator.added",
        "success_criterion",
        criterion_id,
        {
            "criterion_code": criterion.code,
            "plan_id": plan.plan_id,
            "indicator_code": body.indicator_code,
            "target_value": str(body.target_value),
            "direction": body.direction,
            "by_date": body.by_date.isoformat(),
        },
    )
    return CriterionIndicatorRead.model_validate(row)


async def remove_link(
    session: AsyncSession, caller: Caller, criterion_id: int, indicator_code: str
) -> None:
    access.require_plan_manager(caller)
    criterion, plan = await _criterion(session, criterion_id)
    if plan.status == "closed":
        raise conflict("criterion_id", "the plan is closed", "plan_closed")
    removed = await repo.delete_link(session, criterion_id, indicator_code)
    if removed is None:
        raise NotFound("this criterion has no link to that indicator")
    await emit(
        session,
        caller,
        "criterion_indicator.removed",
        "success_criterion",
        criterion_id,
        {
            "criterion_code": criterion.code,
            "plan_id": plan.plan_id,
            "indicator_code": indicator_code,
            "target_value": str(removed["target_value"]),
            "direction": removed["direction"],
            "by_date": removed["by_date"].isoformat(),
        },
    )
