"""SQL for plans, themes, success criteria and owners (every agency reads them all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
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
