"""Board packs: made for a meeting from evidence read through the gateway, pinned, signed,
recorded in the trail, and rendered again byte for byte from what they pinned.

- Making a pack (``board:write``, as writing meetings) reads the evidence afresh, builds the
  document (:mod:`.build`), stores it with its SHA-256 digest and a manifest signed ES256
  (the releases' scheme, :mod:`shared.signing`), and writes ``pack.created`` to the outbox
  in the same transaction. Without ``BOARD_PACK_SIGNING_KEY`` outside local/test no pack is
  made (503).
- Reading: council callers read every pack; a partner agency reads the packs of meetings
  its agency attended (others answer 404, as a pack that does not exist).
- HTML and PDF are rendered from the stored document: the same bytes every time
  (tests/board/test_packs.py); the last few packs rendered are kept by their document's
  digest, so a pack read again is not typeset again (:mod:`.render`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.board import access
from services.board.events import emit
from services.board.meetings import service as meetings
from services.board.packs import build, render
from services.board.packs import repository as repo
from services.board.packs.models import Pack
from services.board.packs.schemas import PackRead, PackSummary
from services.board.working.rule import RULE_VERSION
from services.board.working.service import EvidenceCache, sees_all
from shared import clock, signing
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound, ServiceUnavailable


def summary(p: Pack) -> PackSummary:
    return PackSummary(
        pack_id=p.pack_id,
        meeting_id=p.meeting_id,
        previous_meeting_id=p.previous_meeting_id,
        digest=p.digest,
        rule_version=str(p.manifest.get("rule_version", RULE_VERSION)),
        created_by=p.created_by,
        created_at=p.created_at,
    )


def verify(p: Pack, public_pem: str) -> bool:
    return signing.digest(p.document) == p.digest == p.manifest.get(
        "digest"
    ) and signing.verify_with_public_key(public_pem, p.manifest, p.signature)


def to_read(p: Pack, signer: signing.ManifestSigner | None) -> PackRead:
    base = f"/v1/meetings/{p.meeting_id}/packs/{p.pack_id}"
    public = signer.public_pem if signer is not None and signer.key_id == p.key_id else ""
    return PackRead(
        **summary(p).model_dump(),
        manifest=p.manifest,
        signature=p.signature,
        key_id=p.key_id,
        public_key=public,
        verified=bool(public) and verify(p, public),
        document=p.document,
        html_href=f"{base}/html",
        pdf_href=f"{base}/pdf",
    )


def _may_read(caller: Caller, p: Pack) -> bool:
    return sees_all(caller) or caller.agency in p.agencies


async def create(
    session: AsyncSession,
    caller: Caller,
    cache: EvidenceCache,
    signer: signing.ManifestSigner | None,
    meeting_id: int,
) -> Pack:
    access.require_read(caller)
    meeting = await meetings.get(session, caller, meeting_id)
    access.require_writer(caller)
    if signer is None:
        raise ServiceUnavailable("packs cannot be signed: BOARD_PACK_SIGNING_KEY is not set")
    read = await meetings.to_read(session, meeting)
    previous = None
    if read.previous_meeting_id is not None:
        previous = await meetings.to_read(
            session, await meetings.get(session, caller, read.previous_meeting_id)
        )
    earlier = (
        await repo.for_meeting(session, read.previous_meeting_id)
        if read.previous_meeting_id is not None
        else []
    )
    previous_read_at = (
        datetime.fromisoformat(earlier[-1].document["pins"]["evidence_read_at"])
        if earlier
        else None
    )
    previous_doc = previous.model_dump(mode="json") if previous else None
    cached = await cache.get(fresh=True)
    made_at = clock.utc_now()
    document = await build.build(
        cache.reader,
        cached.snapshot,
        meeting=read.model_dump(mode="json"),
        previous=previous_doc,
        since=build.since_of(previous_doc, previous_read_at),
        evidence_read_at=cached.read_at,
        made_at=made_at,
    )
    pack_id = uuid.uuid4()
    digest = signing.digest(document)
    manifest = {
        "pack_id": str(pack_id),
        "format": build.FORMAT,
        "meeting_id": meeting_id,
        "previous_meeting_id": read.previous_meeting_id,
        "digest": digest,
        "rule_version": RULE_VERSION,
        "made_at": made_at.isoformat(),
        "pins": document["pins"],
        "algorithm": signing.ALGORITHM,
        "key_id": signer.key_id,
    }
    pack = await repo.add(
        session,
        Pack(
            pack_id=pack_id,
            meeting_id=meeting_id,
            previous_meeting_id=read.previous_meeting_id,
            agencies=document["meeting"]["agencies"],
            document=document,
            digest=digest,
            manifest=manifest,
            signature=signer.sign(manifest),
            key_id=signer.key_id,
            created_by=caller.subject,
        ),
    )
    await emit(
        session,
        caller,
        "pack.created",
        "pack",
        pack_id,
        {
            "meeting_id": meeting_id,
            "digest": digest,
            "rule_version": RULE_VERSION,
            "key_id": signer.key_id,
            "releases_pinned": len(document["pins"]["release_ids"]),
            "changes": {k: len(v) for k, v in sorted(document["changes"].items())},
        },
    )
    return pack


#: the fields ``?sort=`` of a meeting's packs allows
PACK_SORT = tuple(repo.PACK_SORT)


async def list_packs(
    session: AsyncSession,
    caller: Caller,
    meeting_id: int,
    sort: list[SortKey],
    page: PageParams,
) -> Page[PackSummary]:
    """A meeting's packs the caller may read, oldest first unless ``sort`` says otherwise,
    one page (a meeting has few)."""
    await meetings.get(session, caller, meeting_id)
    packs = await repo.for_meeting(session, meeting_id, sort)
    mine = [summary(p) for p in packs if _may_read(caller, p)]
    return page_of(mine[page.offset : page.offset + page.limit], len(mine), page)


async def get(session: AsyncSession, caller: Caller, meeting_id: int, pack_id: uuid.UUID) -> Pack:
    access.require_read(caller)
    pack = await repo.get(session, meeting_id, pack_id)
    if pack is None or not _may_read(caller, pack):
        raise NotFound("no such pack")
    return pack


def html(pack: Pack) -> bytes:
    return render.html_of(pack.document)


def pdf(pack: Pack) -> bytes:
    return render.pdf_of(pack.document)
