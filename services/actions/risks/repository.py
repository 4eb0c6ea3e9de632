"""SQL of the risk register (and the look-ups its checks need: plans, action refs, owners)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action
from services.actions.plans.models import Owner, Plan
from services.actions.risks.models import Risk
from shared.pagination import PageParams, SortColumn, SortKey, order_by, page_scalars

#: field → column for ``?sort=`` of the register (ties broken by the risk's id)
RISK_SORT: dict[str, SortColumn] = {
    "risk_id": Risk.risk_id,
    "plan_id": Risk.plan_id,
    "score_before": Risk.likelihood_before * Risk.impact_before,
    "score_after": Risk.likelihood_after * Risk.impact_after,
    "review_date": Risk.review_date,
    "status": Risk.status,
    "owner_id": Risk.owner_id,
}


async def list_risks(
    session: AsyncSession,
    plan_id: int | None,
    status: str | None,
    sort: list[SortKey],
    page: PageParams,
) -> tuple[list[Risk], int]:
    """Highest residual score first, then by id, unless ``sort`` says otherwise."""
    stmt = select(Risk).order_by(*order_by(sort, RISK_SORT, Risk.risk_id))
    if plan_id is not None:
        stmt = stmt.where(Risk.plan_id == plan_id)
    if status is not None:
        stmt = stmt.where(Risk.status == status)
    return await page_scalars(session, stmt, page)


async def get_risk(session: AsyncSession, risk_id: int) -> Risk | None:
    return await session.get(Risk, risk_id)


async def lock_risk(session: AsyncSession, risk_id: int) -> Risk | None:
    return await session.scalar(select(Risk).where(Risk.risk_id == risk_id).with_for_update())


async def plan_exists(session: AsyncSession, plan_id: int) -> bool:
    return await session.get(Plan, plan_id) is not None


async def owner_exists(session: AsyncSession, owner_id: int) -> bool:
    return await session.get(Owner, owner_id) is not None


async def known_action_refs(session: AsyncSession, plan_id: int, refs: Sequence[str]) -> set[str]:
    """Which of ``refs`` name actions of the plan."""
    return set(
        await session.scalars(
            select(Action.ref).where(Action.plan_id == plan_id, Action.ref.in_(refs))
        )
    )


async def insert_risk(session: AsyncSession, values: dict[str, Any]) -> Risk:
    risk_id = await session.scalar(insert(Risk).values(**values).returning(Risk.risk_id))
    risk = await session.get(Risk, risk_id)
    assert risk is not None
    return risk


async def update_risk(session: AsyncSession, risk: Risk, values: dict[str, Any]) -> None:
    """Apply ``values``, bump the version and the change time, and reload ``risk``."""
    await session.execute(
        update(Risk)
        .where(Risk.risk_id == risk.risk_id)
        .values(**values, version=Risk.version + 1, updated_at=func.now())
    )
    await session.refresh(risk)


async def plan_risks(session: AsyncSession, plan_id: int) -> list[Risk]:
    """Every risk of the plan by id, locked until the transaction ends (a refresh moves
    the ones still live)."""
    rows = await session.scalars(
        select(Risk).where(Risk.plan_id == plan_id).order_by(Risk.risk_id).with_for_update()
    )
    return list(rows)


async def move_risk(
    session: AsyncSession, risk_id: int, plan_id: int, mitigating_action_refs: list[str]
) -> None:
    """Move a risk into another edition of its plan, keeping its id (and so its history)."""
    await session.execute(
        update(Risk)
        .where(Risk.risk_id == risk_id)
        .values(
            plan_id=plan_id,
            mitigating_action_refs=mitigating_action_refs,
            version=Risk.version + 1,
            updated_at=func.now(),
        )
    )
