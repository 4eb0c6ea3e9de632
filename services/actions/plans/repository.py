"""SQL for plans, themes, success criteria and owners (every agency reads them all)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action, ActionStep
from services.actions.actions.rag import DONE
from services.actions.criteria.models import CriterionIndicator
from services.actions.plans.models import Owner, Plan, SuccessCriterion, Theme
from shared.pagination import PageParams, SortKey, order_by, page_mappings, page_scalars

#: field → column for ``?sort=`` of each list (ties broken by the id)
PLAN_SORT = {
    "plan_id": Plan.plan_id,
    "title": Plan.title,
    "authority": Plan.authority,
    "start_date": Plan.start_date,
    "end_date": Plan.end_date,
    "status": Plan.status,
    "edition": Plan.edition,
}
THEME_SORT = {
    "theme_id": Theme.theme_id,
    "plan_id": Theme.plan_id,
    "number": Theme.number,
    "title": Theme.title,
}
CRITERION_SORT = {
    "criterion_id": SuccessCriterion.criterion_id,
    "plan_id": SuccessCriterion.plan_id,
    "theme_number": Theme.number,
    "code": SuccessCriterion.code,
}
OWNER_SORT = {
    "owner_id": Owner.owner_id,
    "title": Owner.title,
    "agency": Owner.agency,
    "organisation": Owner.organisation,
    "display_name": Owner.display_name,
}


async def list_plans(
    session: AsyncSession, sort: list[SortKey], limit: int, offset: int
) -> tuple[list[Plan], int]:
    total = await session.scalar(select(func.count()).select_from(Plan))
    stmt = select(Plan).order_by(*order_by(sort, PLAN_SORT, Plan.plan_id))
    rows = await session.scalars(stmt.limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def get_plan(session: AsyncSession, plan_id: int, *, lock: bool = False) -> Plan | None:
    stmt = select(Plan).where(Plan.plan_id == plan_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def update_plan(session: AsyncSession, plan_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(Plan).where(Plan.plan_id == plan_id).values(**values, version=Plan.version + 1)
    )


async def list_themes(
    session: AsyncSession, plan_id: int | None, sort: list[SortKey], page: PageParams
) -> tuple[list[Theme], int]:
    stmt = select(Theme).order_by(*order_by(sort, THEME_SORT, Theme.theme_id))
    if plan_id is not None:
        stmt = stmt.where(Theme.plan_id == plan_id)
    return await page_scalars(session, stmt, page)


async def list_criteria(
    session: AsyncSession,
    plan_id: int | None,
    theme: int | None,
    sort: list[SortKey],
    page: PageParams,
) -> tuple[list[dict[str, Any]], int]:
    stmt = (
        select(
            SuccessCriterion.criterion_id,
            SuccessCriterion.plan_id,
            Theme.number.label("theme_number"),
            SuccessCriterion.code,
            SuccessCriterion.text,
            SuccessCriterion.source_fix,
        )
        .join(Theme, Theme.theme_id == SuccessCriterion.theme_id)
        .order_by(*order_by(sort, CRITERION_SORT, SuccessCriterion.criterion_id))
    )
    if plan_id is not None:
        stmt = stmt.where(SuccessCriterion.plan_id == plan_id)
    if theme is not None:
        stmt = stmt.where(Theme.number == theme)
    return await page_mappings(session, stmt, page)


async def criterion_by_code(
    session: AsyncSession, plan_id: int, code: str
) -> SuccessCriterion | None:
    return await session.scalar(
        select(SuccessCriterion).where(
            SuccessCriterion.plan_id == plan_id, SuccessCriterion.code == code
        )
    )


async def list_owners(
    session: AsyncSession, agency: str | None, sort: list[SortKey], page: PageParams
) -> tuple[list[Owner], int]:
    stmt = select(Owner).order_by(*order_by(sort, OWNER_SORT, Owner.owner_id))
    if agency is not None:
        stmt = stmt.where(Owner.agency == agency)
    return await page_scalars(session, stmt, page)


def _folded(title: str) -> str:
    return title.casefold()


async def lock_owner_title(session: AsyncSession, title: str) -> None:
    """Serialise adding owners of one title (case folded) until this transaction ends, so
    parallel identical posts see each other instead of racing to the unique constraint."""
    name = literal("actions.owner.title:") + literal(_folded(title))
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(name, 0))))


async def owner_title_taken(session: AsyncSession, title: str) -> bool:
    """Whether an owner has this title, case folded by Python on both sides: the
    database's lower() (C collation) leaves non-ASCII letters alone while Python's folds
    them, so mixing the two let a repeated title through to the unique constraint. The
    directory holds tens of roles: its titles are compared here."""
    wanted = _folded(title)
    titles = await session.scalars(select(Owner.title))
    return any(_folded(t) == wanted for t in titles)


async def insert_owner(session: AsyncSession, values: dict[str, Any]) -> Owner | None:
    """The new owner; ``None`` when the title exists (the table's unique constraint)."""
    owner_id = await session.scalar(
        pg_insert(Owner)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Owner.title])
        .returning(Owner.owner_id)
    )
    if owner_id is None:
        return None
    owner = await session.get(Owner, owner_id)
    assert owner is not None
    return owner


async def get_owner(session: AsyncSession, owner_id: int, *, lock: bool = False) -> Owner | None:
    stmt = select(Owner).where(Owner.owner_id == owner_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def update_owner(session: AsyncSession, owner_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(Owner).where(Owner.owner_id == owner_id).values(**values))


# -- refreshing a plan into its next edition ----------------------------------------------


async def edition_taken(session: AsyncSession, title: str, authority: str, edition: int) -> bool:
    found = await session.scalar(
        select(Plan.plan_id).where(
            Plan.title == title, Plan.authority == authority, Plan.edition == edition
        )
    )
    return found is not None


async def insert_plan(session: AsyncSession, values: dict[str, Any]) -> Plan:
    plan_id = await session.scalar(pg_insert(Plan).values(**values).returning(Plan.plan_id))
    plan = await session.get(Plan, plan_id)
    assert plan is not None
    return plan


async def copy_structure(
    session: AsyncSession, old_plan_id: int, new_plan_id: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Copy the themes and success criteria (and each criterion's indicator links) into the
    new edition: (old theme id → new, old criterion id → new)."""
    themes: dict[int, int] = {}
    for t in await session.scalars(select(Theme).where(Theme.plan_id == old_plan_id)):
        themes[t.theme_id] = int(
            await session.scalar(
                pg_insert(Theme)
                .values(
                    plan_id=new_plan_id, number=t.number, title=t.title, source_fix=t.source_fix
                )
                .returning(Theme.theme_id)
            )
            or 0
        )
    criteria: dict[int, int] = {}
    old_criteria = await session.scalars(
        select(SuccessCriterion).where(SuccessCriterion.plan_id == old_plan_id)
    )
    for c in old_criteria:
        criteria[c.criterion_id] = int(
            await session.scalar(
                pg_insert(SuccessCriterion)
                .values(
                    plan_id=new_plan_id,
                    theme_id=themes[c.theme_id],
                    code=c.code,
                    text=c.text,
                    source_fix=c.source_fix,
                )
                .returning(SuccessCriterion.criterion_id)
            )
            or 0
        )
    links = await session.scalars(
        select(CriterionIndicator).where(CriterionIndicator.criterion_id.in_(list(criteria)))
    )
    rows = [
        {
            "criterion_id": criteria[link.criterion_id],
            "indicator_code": link.indicator_code,
            "target_value": link.target_value,
            "direction": link.direction,
            "by_date": link.by_date,
            "created_by": link.created_by,
        }
        for link in links
    ]
    if rows:
        await session.execute(pg_insert(CriterionIndicator), rows)
    return themes, criteria


async def plan_actions(session: AsyncSession, plan_id: int) -> list[Action]:
    """Every action of the plan, locked until the transaction ends (a refresh moves them)."""
    rows = await session.scalars(
        select(Action).where(Action.plan_id == plan_id).order_by(Action.ref).with_for_update()
    )
    return list(rows)


def is_open(action: Action) -> bool:
    return action.status not in DONE


async def clear_step_dates_outside(
    session: AsyncSession, action_ids: list[int], start: date, end: date
) -> list[tuple[int, int]]:
    """Clear step due dates outside ``start``..``end`` on these actions: (action id, step
    number) of each step cleared."""
    if not action_ids:
        return []
    rows = await session.execute(
        update(ActionStep)
        .where(
            ActionStep.action_id.in_(action_ids),
            ActionStep.due_date.is_not(None),
            or_(ActionStep.due_date < start, ActionStep.due_date > end),
        )
        .values(due_date=None)
        .returning(ActionStep.action_id, ActionStep.number)
    )
    return [(int(a), int(n)) for a, n in rows]
