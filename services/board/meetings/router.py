"""HTTP for meeting types and meetings. Reads of one meeting return an ETag; updates and
deletes need If-Match; creating accepts an Idempotency-Key."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.board.db import idempotency_keys
from services.board.meetings import service
from services.board.meetings.schemas import (
    MeetingCreate,
    MeetingRead,
    MeetingSummary,
    MeetingTypeCreate,
    MeetingTypeRead,
    MeetingUpdate,
)
from services.board.params import IdPath, TypeCode
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.idempotency import IdempotencyKeyHeader, caller_scope, run_idempotent_post
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

types_router = APIRouter(prefix="/v1/meeting-types", tags=["meeting types"])
router = APIRouter(prefix="/v1/meetings", tags=["meetings"])


@types_router.get("", summary="The meeting types (four seeded; administrators add more)")
async def list_meeting_types(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.TYPE_SORT, "")],
) -> Page[MeetingTypeRead]:
    return await service.list_types(
        session, caller, sort=sort, limit=page.limit, offset=page.offset
    )


@types_router.post("", status_code=201, summary="Add a meeting type")
async def create_meeting_type(
    body: MeetingTypeCreate, caller: CallerDep, session: SessionDep
) -> MeetingTypeRead:
    return await service.create_type(session, caller, body)


@router.get("", summary="Meetings, latest first")
async def list_meetings(
    caller: CallerDep,
    session: SessionDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.MEETING_SORT, "-meeting_date")],
    meeting_type: Annotated[TypeCode | None, Query(max_length=40)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Page[MeetingSummary]:
    return await service.list_meetings(
        session,
        caller,
        meeting_type=meeting_type,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", status_code=201, response_model=MeetingRead, summary="Record a meeting")
async def create_meeting(
    body: MeetingCreate,
    caller: CallerDep,
    session: SessionDep,
    request: Request,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    async def produce() -> tuple[int, object, dict[str, str]]:
        meeting = await service.create(session, caller, body)
        return 201, await service.to_read(session, meeting), {"ETag": service.etag(meeting)}

    return await run_idempotent_post(
        session,
        idempotency_keys,
        request,
        body,
        scope=caller_scope(caller),
        key=idempotency_key,
        produce=produce,
    )


@router.get("/{meeting_id}", summary="One meeting with its minutes")
async def get_meeting(
    meeting_id: IdPath, caller: CallerDep, session: SessionDep, response: Response
) -> MeetingRead:
    meeting = await service.get(session, caller, meeting_id)
    response.headers["ETag"] = service.etag(meeting)
    return await service.to_read(session, meeting)


@router.get(
    "/{meeting_id}/previous",
    summary="The previous meeting of the same type: the 'since' of what changed",
)
async def get_previous_meeting(
    meeting_id: IdPath, caller: CallerDep, session: SessionDep, response: Response
) -> MeetingRead:
    meeting = await service.previous(session, caller, meeting_id)
    response.headers["ETag"] = service.etag(meeting)
    return await service.to_read(session, meeting)


@router.patch("/{meeting_id}", summary="Change a meeting (a list given replaces that list)")
async def update_meeting(
    meeting_id: IdPath,
    body: MeetingUpdate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: IfMatchHeader = None,
) -> MeetingRead:
    meeting = await service.update(session, caller, meeting_id, body, if_match)
    response.headers["ETag"] = service.etag(meeting)
    return await service.to_read(session, meeting)


@router.delete("/{meeting_id}", status_code=204, summary="Delete a meeting and its minutes")
async def delete_meeting(
    meeting_id: IdPath, caller: CallerDep, session: SessionDep, if_match: IfMatchHeader = None
) -> Response:
    await service.delete(session, caller, meeting_id, if_match)
    return Response(status_code=204)
