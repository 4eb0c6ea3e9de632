"""SQL for plans, themes, success criteria and owners (every agency reads them all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.plans.models import Owner, Plan, SuccessCriterion, Theme


async def list_plans(session: AsyncSession) -> list[Plan]:
    return list(await session.scalars(select(Plan).order_by(Plan.plan_id)))


async def get_plan(session: AsyncSession, plan_id: int, *, lock: bool = False) -> Plan | None:
    stmt = select(Plan).where(Plan.plan_id == plan_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def update_plan(session: AsyncSession, plan_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(Plan).where(Plan.plan_id == plan_id).values(**values, version=Plan.version + 1)
    )


async def list_themes(session: AsyncSession, plan_id: int | None) -> list[Theme]:
    stmt = select(Theme).order_by(Theme.plan_id, Theme.number)
    if plan_id is not None:
        stmt = stmt.where(Theme.plan_id == plan_id)
    return list(await session.scalars(stmt))


async def list_criteria(
    session: AsyncSession, plan_id: int | None, theme: int | None
) -> list[dict[str, Any]]:
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
        .order_by(SuccessCriterion.plan_id, SuccessCriterion.code)
    )
    if plan_id is not None:
        stmt = stmt.where(SuccessCriterion.plan_id == plan_id)
    if theme is not None:
        stmt = stmt.where(Theme.number == theme)
    return [dict(r) for r in (await session.execute(stmt)).mappings()]


async def criterion_by_code(
    session: AsyncSession, plan_id: int, code: str
) -> SuccessCriterion | None:
    return await session.scalar(
        select(SuccessCriterion).where(
            SuccessCriterion.plan_id == plan_id, SuccessCriterion.code == code
        )
    )


async def list_owners(session: AsyncSession, agency: str | None) -> list[Owner]:
    stmt = select(Owner).order_by(Owner.title)
    if agency is not None:
        stmt = stmt.where(Owner.agency == agency)
    return list(await session.scalars(stmt))


async def owner_title_taken(session: AsyncSession, title: str) -> bool:
    n = await session.scalar(
        select(func.count()).select_from(Owner).where(func.lower(Owner.title) == title.lower())
    )
    return bool(n)


async def insert_owner(session: AsyncSession, values: dict[str, Any]) -> Owner:
    owner_id = await session.scalar(insert(Owner).values(**values).returning(Owner.owner_id))
    owner = await session.get(Owner, owner_id)
    assert owner is not None
    return owner
