"""SQL for progress updates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import ActionStep
from services.actions.progress.models import ProgressUpdate


async def step_by_number(session: AsyncSession, action_id: int, number: int) -> ActionStep | None:
    return await session.scalar(
        select(ActionStep).where(ActionStep.action_id == action_id, ActionStep.number == number)
    )


async def insert_update(session: AsyncSession, values: dict[str, Any]) -> int:
    return int(
        (
            await session.execute(
                insert(ProgressUpdate).values(**values).returning(ProgressUpdate.update_id)
            )
        ).scalar_one()
    )
