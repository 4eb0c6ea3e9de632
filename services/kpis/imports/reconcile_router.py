"""``GET /v1/imports/reconciliation``: two imports' children in one measure, side by side."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.kpis.imports import reconcile_children
from shared.db import SessionDep
from shared.identity import CallerDep

router = APIRouter(prefix="/v1/imports", tags=["imports"])


@router.get(
    "/reconciliation",
    summary="The children two imports count differently in a measure (pseudonyms)",
)
async def get_child_reconciliation(
    session: SessionDep,
    caller: CallerDep,
    measure: Annotated[str, Query(min_length=1, max_length=40, description="e.g. REFERRALS")],
    period: Annotated[str, Query(min_length=7, max_length=7, description="e.g. 2023-24")],
    left: Annotated[uuid.UUID, Query(description="an import (e.g. the Annex A)")],
    right: Annotated[uuid.UUID, Query(description="another (e.g. the CIN census)")],
    purpose: Annotated[
        str | None, Query(max_length=500, description="why child-level data is read (recorded)")
    ] = None,
) -> dict[str, Any]:
    """Council managers with a stated purpose; the read is recorded in the trail."""
    return await reconcile_children.reconcile(
        session,
        caller,
        measure=measure,
        period=period,
        left=left,
        right=right,
        purpose=purpose,
    )
