"""The board service: meetings of the partnership's boards and their packs.

It reads the other services only through the gateway, with its own client (``board-reader``,
read scopes only) — never their databases, never their code.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.board.config import BoardSettings
from services.board.db import outbox
from services.board.meetings.router import router as meetings_router
from services.board.meetings.router import types_router as meeting_types_router
from services.board.packs.router import router as packs_router
from services.board.reader import GatewayReader
from services.board.working.router import router as working_router
from services.board.working.service import EvidenceCache
from shared import signing
from shared.app import build_app
from shared.relay import relay_hooks


def create_app(settings: BoardSettings) -> FastAPI:
    start_relay, stop_relay = relay_hooks(settings, outbox)
    reader = GatewayReader(settings)

    async def close_reader(_: FastAPI) -> None:
        await reader.close()

    app = build_app(
        settings,
        title="Board service",
        description="Meetings of the Improvement Board, performance clinic, scrutiny committee, "
        "corporate parenting board and other types: attendees, agenda, decisions and actions "
        "arising; the previous meeting of a type is the 'since' of every 'what changed'.",
        routers=[meeting_types_router, meetings_router, working_router, packs_router],
        on_startup=[start_relay],
        on_shutdown=[stop_relay, close_reader],
    )
    app.state.evidence = EvidenceCache(reader, settings.authority_code, settings.evidence_ttl_s)
    app.state.pack_signer = pack_signer(settings)
    return app


def pack_signer(settings: BoardSettings) -> signing.ManifestSigner | None:
    """The packs' signer: the configured key; in local/test one made per process; else none
    (making a pack then answers 503)."""
    if settings.pack_signing_key is not None:
        return signing.ManifestSigner(settings.pack_signing_key.get_secret_value())
    if settings.relaxed:
        return signing.ManifestSigner(signing.ephemeral_key())
    return None


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(BoardSettings())
