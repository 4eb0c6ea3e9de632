"""HTTP for imports: ``POST /v1/imports`` (multipart), job status, the values it computed."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from functools import cache
from pathlib import Path
from typing import Annotated

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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kpis.imports import repository, service
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.pipeline import Upload
from services.kpis.imports.schemas import ImportKind, ImportOut, ValueOut, WithdrawIn
from services.kpis.imports.workdays import bank_holidays
from shared.db import SessionDep
from shared.etag import etag_for
from shared.identity import CallerDep
from shared.pagination import Page, PageDep
from shared.problems import DomainError, InvalidInput

router = APIRouter(prefix="/v1/imports", tags=["imports"])

bank_holidays()  # load the holiday calendars once, when the service starts

#: files in one upload (several SSDA903 years: eight or so files a year; or send a zip)
MAX_FILES = 60


@cache
def _env_settings() -> ImportSettings:
    return ImportSettings()


def import_settings(request: Request) -> ImportSettings:
    """``app.state.import_settings`` when the app was given one, else the environment's."""
    found = getattr(request.app.state, "import_settings", None)
    return found if isinstance(found, ImportSettings) else _env_settings()


def _display_name(upload: UploadFile, index: int) -> str:
    name = Path(upload.filename or "").name.strip()
    return name[:100] if name else f"file {index + 1}"


async def _save(
    files: list[UploadFile], settings: ImportSettings, kind: str
) -> tuple[list[Upload], str]:
    """Stream each file to disk in chunks; the combined SHA-256 of kind and file digests."""
    folder = service.upload_folder(settings, uuid.uuid4().hex)
    saved: list[Upload] = []
    digests: list[str] = []
    total = 0
    for index, upload in enumerate(files):
        target = folder / f"{index:02d}.upload"
        digest = hashlib.sha256()
        with target.open("wb") as out:
            while chunk := await upload.read(settings.upload_chunk_bytes):
                total += len(chunk)
                if total > settings.max_upload_bytes:
                    out.close()
                    for item in [*saved, Upload(target, "")]:
                        item.path.unlink(missing_ok=True)
                    folder.rmdir()
                    raise InvalidInput(
                        "the upload is larger than allowed",
                        extensions={"errors": [{"field": "files", "message": "too large"}]},
                    )
                digest.update(chunk)
                out.write(chunk)
        saved.append(Upload(target, _display_name(upload, index)))
        digests.append(digest.hexdigest())
    combined = hashlib.sha256((kind + ":" + ",".join(sorted(digests))).encode()).hexdigest()
    return saved, combined


def _discard(uploads: list[Upload]) -> None:
    for upload in uploads:
        upload.path.unlink(missing_ok=True)
    folders = {u.path.parent for u in uploads}
    for folder in folders:
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()


@router.post(
    "",
    status_code=202,
    response_model=ImportOut,
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
) -> ImportOut:
    """The files are stored and processed in the background: 202 with the queued import and its
    `Location`; follow its progress and report at `GET /v1/imports/{import_id}`.
    """
    service.require_importer(caller)
    if not 1 <= len(files) <= MAX_FILES:
        raise InvalidInput(
            f"send between 1 and {MAX_FILES} files",
            extensions={"errors": [{"field": "files", "message": "wrong number of files"}]},
        )
    settings = import_settings(request)
    uploads, sha256 = await _save(files, settings, kind)
    try:
        # inflating a workbook to measure it takes a while: off the event loop
        await asyncio.to_thread(service.check_uploads, uploads, settings)
    except DomainError:
        _discard(uploads)
        raise
    new = service.NewJob(kind, partial, collection_year, population)
    job, created = await service.open_job(session, caller, new, sha256)
    if not created:
        _discard(uploads)
        response.status_code = 200
        return ImportOut.of(job, duplicate=True)
    maker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    background.add_task(service.execute, maker, job.id, uploads, settings, caller)
    response.headers["Location"] = f"/v1/imports/{job.id}"
    await session.refresh(job)
    return ImportOut.of(job)


@router.get("", response_model=Page[ImportOut], summary="Imports of the caller's agency")
async def list_imports(session: SessionDep, caller: CallerDep, page: PageDep) -> Page[ImportOut]:
    jobs, total = await repository.list_jobs(session, caller.agency, page.limit, page.offset)
    return Page[ImportOut](
        items=[ImportOut.of(j, rows_read=service.PROGRESS.get(j.id)) for j in jobs],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{import_id}", response_model=ImportOut, summary="An import's status and report")
async def get_import(
    import_id: uuid.UUID, response: Response, session: SessionDep, caller: CallerDep
) -> ImportOut:
    """While it runs, `progress` counts rows read and stored; when it ends, `report` lists errors
    and warnings. The ETag changes when the import finishes.
    """
    job = await service.job_for(session, caller, import_id)
    out = ImportOut.of(job, rows_read=service.PROGRESS.get(job.id))
    version = int(job.finished_at.timestamp()) if job.finished_at else 0
    response.headers["ETag"] = etag_for("import", job.id, version)
    return out


@router.get(
    "/{import_id}/values",
    response_model=list[ValueOut],
    summary="The indicator values an import computed",
)
async def import_values(
    import_id: uuid.UUID,
    session: SessionDep,
    caller: CallerDep,
    purpose: Annotated[
        str | None,
        Query(
            max_length=500,
            description="why worker-level values are read (council managers; recorded)",
        ),
    ] = None,
) -> list[ValueOut]:
    values = await service.values_for(session, caller, import_id, purpose)
    return [ValueOut.of(v) for v in values]


@router.post(
    "/{import_id}/withdraw",
    response_model=ImportOut,
    summary="Withdraw a wrong import: its values leave the current values (kept in history)",
)
async def withdraw_import(
    import_id: uuid.UUID, body: WithdrawIn, session: SessionDep, caller: CallerDep
) -> ImportOut:
    job = await service.withdraw(session, caller, import_id, body.reason)
    return ImportOut.of(job)
