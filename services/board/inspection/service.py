"""Making the re-inspection evidence pack (board administrators and council plan managers):
fresh evidence through the gateway, one signed archive, ``inspection_pack.made`` in the
trail with the manifest's digest."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.board import access
from services.board.events import emit
from services.board.inspection import archive
from services.board.packs import build
from services.board.working.service import EvidenceCache
from shared import clock, signing
from shared.identity import Caller
from shared.problems import ServiceUnavailable


async def make(
    session: AsyncSession,
    caller: Caller,
    cache: EvidenceCache,
    signer: signing.ManifestSigner | None,
) -> bytes:
    access.require_writer(caller)
    if signer is None:
        raise ServiceUnavailable("packs cannot be signed: BOARD_PACK_SIGNING_KEY is not set")
    cached = await cache.get(fresh=True)
    files = await archive.contents(cache.reader, cached.snapshot)
    checkpoint = await build.trail_checkpoint(cache.reader)
    body, manifest = archive.pack(files, signer, clock.utc_now(), checkpoint)
    await emit(
        session,
        caller,
        "inspection_pack.made",
        "inspection_pack",
        signing.digest(manifest),
        {"files": len(manifest["files"]), "key_id": signer.key_id, "bytes": len(body)},
    )
    return body
