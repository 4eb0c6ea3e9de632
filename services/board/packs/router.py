"""HTTP for board packs: make one for a meeting, list, read (manifest, signature,
verification, document), and render as HTML or PDF."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from services.board.packs import service
from services.board.packs.schemas import PackRead, PackSummary
from services.board.params import IdPath
from services.board.working.router import CacheDep
from shared import signing
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/meetings/{meeting_id}/packs", tags=["board packs"])


def _signer(request: Request) -> signing.ManifestSigner | None:
    found: signing.ManifestSigner | None = request.app.state.pack_signer
    return found


SignerDep = Annotated[signing.ManifestSigner | None, Depends(_signer)]


@router.post("", status_code=201, summary="Make a signed board pack for a meeting")
async def create_pack(
    caller: CallerDep,
    session: SessionDep,
    cache: CacheDep,
    signer: SignerDep,
    meeting_id: IdPath,
) -> PackRead:
    """Reads the evidence afresh through the gateway, names what changed since the previous
    meeting of the same type, pins the releases it used, signs the manifest and records the
    pack in the trail. Board administrators and council plan managers."""
    pack = await service.create(session, caller, cache, signer, meeting_id)
    return service.to_read(pack, signer)


@router.get("", summary="A meeting's packs, oldest first")
async def list_packs(
    caller: CallerDep,
    session: SessionDep,
    meeting_id: IdPath,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.PACK_SORT, "created_at")],
) -> Page[PackSummary]:
    """Partners see the packs of meetings their agency attended."""
    return await service.list_packs(session, caller, meeting_id, sort, page)


@router.get("/{pack_id}", summary="A pack: its manifest, signature, verification and document")
async def get_pack(
    caller: CallerDep,
    session: SessionDep,
    signer: SignerDep,
    meeting_id: IdPath,
    pack_id: uuid.UUID,
) -> PackRead:
    """``verified`` recomputes the document's digest and checks the signature."""
    return service.to_read(await service.get(session, caller, meeting_id, pack_id), signer)


@router.get(
    "/{pack_id}/html",
    summary="The pack as HTML (rendered from its pinned document)",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
async def get_pack_html(
    caller: CallerDep, session: SessionDep, meeting_id: IdPath, pack_id: uuid.UUID
) -> Response:
    """Byte for byte the same on every read."""
    pack = await service.get(session, caller, meeting_id, pack_id)
    return Response(service.html(pack), media_type="text/html; charset=utf-8")


@router.get(
    "/{pack_id}/pdf",
    summary="The pack as PDF (typeset from its pinned document)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def get_pack_pdf(
    caller: CallerDep, session: SessionDep, meeting_id: IdPath, pack_id: uuid.UUID
) -> Response:
    """Byte for byte the same on every read."""
    pack = await service.get(session, caller, meeting_id, pack_id)
    body = await run_in_threadpool(service.pdf, pack)
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="pack-{pack_id}.pdf"'},
    )
