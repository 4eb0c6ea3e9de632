"""HTTP for the board summary: JSON, or a CSV or XLSX table (``?format=`` or ``Accept``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from services.actions.actions.service import today
from services.actions.board import service
from shared.db import SessionDep
from shared.exports import EXPORT_RESPONSES, AcceptHeader, RepresentationQuery, representation
from shared.exports import export_response as tabular
from shared.identity import CallerDep

router = APIRouter(prefix="/v1/board-summary", tags=["board"])


@router.get(
    "",
    summary="Per theme and per agency: status, RAG, overdue, due soon, completed, changed",
    response_model=None,
    responses=EXPORT_RESPONSES,
)
async def board_summary(
    session: SessionDep,
    caller: CallerDep,
    plan_id: Annotated[int | None, Query(ge=1)] = None,
    due_within_days: Annotated[int, Query(ge=0, le=365)] = 30,
    completed_since: date | None = None,
    board_date: Annotated[date | None, Query(description="the last board; changes since")] = None,
    as_of: Annotated[
        date | None, Query(description="compute as on this day (default today)")
    ] = None,
    format: RepresentationQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """JSON by default; a table of one row per theme then per agency as CSV or an XLSX
    workbook with `?format=csv|xlsx` (or an `Accept` naming either); `?format=json` is the JSON."""
    doc: dict[str, Any] = await service.summary(
        session,
        plan_id=plan_id,
        today=as_of or today(),
        due_within_days=due_within_days,
        completed_since=completed_since,
        board_date=board_date,
    )
    fmt = representation(format, accept)
    if fmt is None:
        return JSONResponse(jsonable_encoder(doc))
    rows = service.table_rows(doc)
    return tabular(fmt, rows, rows, service.TABLE_FIELDS, "board-summary")
