"""SQL of the submissions domain."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.submissions.models import Submission
from shared.identity import Caller


async def add_submission(
    session: AsyncSession, submission_id: uuid.UUID, caller: Caller, report: dict[str, Any]
) -> None:
    session.add(
        Submission(
            submission_id=submission_id,
            agency=caller.agency,
            submitted_by=access.actor_name(caller),
            mode=report["mode"],
            accepted=report["accepted"],
            unchanged=report["unchanged"],
            rejected=report["rejected"],
            is_dry_run=report["dry_run"],
        )
    )
    await session.flush()


async def get_submission(session: AsyncSession, submission_id: uuid.UUID) -> Submission | None:
    return await session.get(Submission, submission_id)
