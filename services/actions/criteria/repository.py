"""SQL of criterion → indicator links."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.criteria.models import CriterionIndicator
from services.actions.plans.models import Plan, SuccessCriterion
from shared.pagination import PageParams, SortKey, order_by, page_mappings


async def criterion_with_plan(
    session: AsyncSession, criterion_id: int
) -> tuple[SuccessCriterion, Plan] | None:
    row = (
        await session.execute(
            select(SuccessCriterion, Plan)
            .join(Plan, Plan.plan_id == SuccessCriterion.plan_id)
            .where(SuccessCriterion.criterion_id == criterion_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def _columns() -> Any:
    return select(
        CriterionIndicator.link_id,
        CriterionIndicator.criterion_id,
        SuccessCriterion.code.label("criterion_code"),
        SuccessCriterion.plan_id,
        CriterionIndicator.indicator_code,
        CriterionIndicator.target_value,
        CriterionIndicator.direction,
        CriterionIndicator.by_date,
        CriterionIndicator.created_by,
        CriterionIndicator.created_at,
    ).join(SuccessCriterion, SuccessCriterion.criterion_id == CriterionIndicator.criterion_id)


#: field → column for ``?sort=`` of the links (ties broken by the link's id)
LINK_SORT = {
    "link_id": CriterionIndicator.link_id,
    "criterion_code": SuccessCriterion.code,
    "plan_id": SuccessCriterion.plan_id,
    "indicator_code": CriterionIndicator.indicator_code,
    "by_date": CriterionIndicator.by_date,
    "created_at": CriterionIndicator.created_at,
}


async def list_links(
    session: AsyncSession,
    *,
    criterion_id: int | None = None,
    plan_id: int | None = None,
    indicator_code: str | None = None,
    sort: list[SortKey],
    page: PageParams,
) -> tuple[list[dict[str, Any]], int]:
    stmt = _columns().order_by(*order_by(sort, LINK_SORT, CriterionIndicator.link_id))
    if criterion_id is not None:
        stmt = stmt.where(CriterionIndicator.criterion_id == criterion_id)
    if plan_id is not None:
        stmt = stmt.where(SuccessCriterion.plan_id == plan_id)
    if indicator_code is not None:
        stmt = stmt.where(CriterionIndicator.indicator_code == indicator_code)
    return await page_mappings(session, stmt, page)


async def insert_link(session: AsyncSession, values: dict[str, Any]) -> dict[str, Any] | None:
    """The new link, or ``None`` when the criterion already has one to that indicator (the
    existing link is left as it is: a race of two adds ends in one link and one refusal)."""
    link_id = await session.scalar(
        insert(CriterionIndicator)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["criterion_id", "indicator_code"])
        .returning(CriterionIndicator.link_id)
    )
    if link_id is None:
        return None
    row = (await session.execute(_columns().where(CriterionIndicator.link_id == link_id))).first()
    assert row is not None
    return dict(row._mapping)


async def delete_link(
    session: AsyncSession, criterion_id: int, indicator_code: str
) -> dict[str, Any] | None:
    row = (
        await session.execute(
            delete(CriterionIndicator)
            .where(
                CriterionIndicator.criterion_id == criterion_id,
                CriterionIndicator.indicator_code == indicator_code,
            )
            .returning(
                CriterionIndicator.link_id,
                CriterionIndicator.target_value,
                CriterionIndicator.direction,
                CriterionIndicator.by_date,
            )
        )
    ).first()
    return None if row is None else dict(row._mapping)
