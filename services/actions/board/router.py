"""HTTP for the board summary (JSON, or CSV with ``format=csv`` or ``Accept: text/csv``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from services.actions.actions.service import today
from services.actions.board import service
from shared.db import SessionDep
from shared.identity import CallerDep

router = APIRouter(prefix="/v1/board-summary", tags=["board"])


@router.get(
    "",
    summary="Per theme and per agency: status, RAG, overdue, due soon, completed, changed",
    response_model=None,
    responses={200: {"content": {"text/csv": {}}}},
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
    format: Literal["json", "csv"] | None = None,
    accept: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    doc: dict[str, Any] = await service.summary(
        session,
        plan_id=plan_id,
        today=as_of or today(),
        due_within_days=due_within_days,
        completed_since=completed_since,
        board_date=board_date,
    )
    if format == "csv" or (format is None and accept and "text/csv" in accept):
        return Response(
            service.as_csv(doc),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="board-summary.csv"'},
        )
    return JSONResponse(jsonable_encoder(doc))
