"""HTTP for imports: ``POST /v1/imports`` (multipart), job status and events, its values."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kpis.imports import service
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.schemas import ImportKind, ImportRead, ImportValueRead, WithdrawRequest
from services.kpis.imports.workdays import bank_holidays
from shared.db import SessionDep
from shared.etag import etag_for
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/imports", tags=["imports"])

bank_holidays()  # load the holiday calendars once, when the service starts


def import_settings(request: Request) -> ImportSettings:
    """The imports' part of the service's settings, set on the app by ``create_app``."""
    found: ImportSettings = request.app.state.import_settings
    return found


def _maker(request: Request) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return maker


EVENTS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream`: `progress` events, then one `end` event",
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": (
                    "retry: 1500\n\n"
                    'id: 1\nevent: progress\ndata: {"id": "0b6f…", "status": "running", '
                    '"stage": "reading", "rows_read": 50000, "rows_stored": 0, '
                    '"rows_expected": 120000, "percent": 37, '
                    '"updated_at": "2026-12-04T09:00:00Z"}\n\n'
                    'id: 2\nevent: end\ndata: {"status": "succeeded", "stage": "finished", '
                    '"percent": 100, …}\n\n'
                ),
            }
        },
    }
}


@router.post(
    "",
    status_code=202,
    response_model=ImportRead,
    summary="Upload an Annex A workbook (or its CSVs), an SSDA903 set of CSVs or a CIN census XML",
)
async def create_import(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    background: BackgroundTasks,
    kind: Annotated[ImportKind, Form(description="annex_a, ssda903 or cin_census")],
    files: Annotated[list[UploadFile], File(description="the export's files")],
    partial: Annotated[bool, Form(description="store the good rows even if some fail")] = False,
    collection_year: Annotated[
        int | None,
        Form(ge=2000, le=2040, description="first year of the collection (2017 = 2017/18)"),
    ] = None,
    population: Annotated[
        int | None, Form(ge=1, le=10_000_000, description="children aged 0-17, for rates")
    ] = None,
) -> ImportRead:
    """The files are stored and processed in the background: 202 with the queued import and its
    `Location`; follow its progress at `GET /v1/imports/{import_id}` or, without polling, its
    events at `GET /v1/imports/{import_id}/events`. Each file may be plain, a zip archive or
    gzip-compressed (one file); the upload is at most `KPIS_MAX_UPLOAD_BYTES` as sent (and the
    gateway's `GATEWAY_IMPORT_BODY_LIMIT_BYTES`): larger is a 413 stating the limit.
    """
    new = service.NewJob(kind, partial, collection_year, population)
    settings = import_settings(request)
    job, created, ready = await service.receive_upload(session, caller, files, new, settings)
    if not created:
        response.status_code = 200
        return ImportRead.of(job, duplicate=True)
    background.add_task(service.execute, _maker(request), job.id, ready, settings, caller)
    response.headers["Location"] = f"/v1/imports/{job.id}"
    await session.refresh(job)
    return ImportRead.of(job)


@router.get("", response_model=Page[ImportRead], summary="Imports of the caller's agency")
async def list_imports(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.JOB_SORT, "-created_at")],
) -> Page[ImportRead]:
    jobs, total = await service.list_jobs(session, caller, sort, page.limit, page.offset)
    return Page[ImportRead](
        items=[ImportRead.of(j) for j in jobs],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{import_id}", response_model=ImportRead, summary="An import's status and report")
async def get_import(
    import_id: uuid.UUID, response: Response, session: SessionDep, caller: CallerDep
) -> ImportRead:
    """While it runs, `progress` gives its stage, rows read of rows expected and percentage (the
    same from every replica); when it ends, `report` lists errors and warnings. The ETag
    changes when the import finishes.
    """
    job = await service.job_for(session, caller, import_id)
    out = ImportRead.of(job)
    version = int(job.finished_at.timestamp()) if job.finished_at else 0
    response.headers["ETag"] = etag_for("import", job.id, version)
    return out


@router.get(
    "/{import_id}/events",
    response_class=StreamingResponse,
    responses=EVENTS_RESPONSE,
    summary="Follow an import without polling: server-sent events of its progress",
)
async def follow_import(
    import_id: uuid.UUID, request: Request, caller: CallerDep
) -> StreamingResponse:
    """`text/event-stream`: an event now with the import's progress (as
    `ImportProgressEvent`: status, stage, rows read, rows expected, percent), one at each
    change, and a final `end` event when it has ended, after which the stream closes. A
    comment line every few seconds keeps the connection alive; a stream open for an hour
    closes (an `EventSource` reconnects and gets the state again). Polling
    `GET /v1/imports/{import_id}` stays allowed.
    """
    settings = import_settings(request)
    stream = await service.follow(_maker(request), caller, import_id, settings)
    return StreamingResponse(
        stream,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/{import_id}/values",
    response_model=Page[ImportValueRead],
    summary="The indicator values an import computed",
)
async def import_values(
    import_id: uuid.UUID,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[
        list[SortKey],
        sort_query(service.VALUE_SORT, "indicator_code,period_type,period_start,org_unit_code"),
    ],
    purpose: Annotated[
        str | None,
        Query(
            max_length=500,
            description="why worker-level values are read (council managers; recorded)",
        ),
    ] = None,
) -> Page[ImportValueRead]:
    """Ordered by indicator, period type, period start and org unit (ties by id) unless
    ``sort`` says otherwise."""
    return await service.values_for(session, caller, import_id, purpose, sort, page)


@router.post(
    "/{import_id}/withdraw",
    response_model=ImportRead,
    summary="Withdraw a wrong import: its values leave the current values (kept in history)",
)
async def withdraw_import(
    import_id: uuid.UUID, body: WithdrawRequest, session: SessionDep, caller: CallerDep
) -> ImportRead:
    job = await service.withdraw(session, caller, import_id, body.reason)
    return ImportRead.of(job)
