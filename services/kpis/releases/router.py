"""``/v1/releases``: signed manifests of published values, verified on every read."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from services.kpis.releases.service import verify_release
from services.kpis.releases.signing import ReleaseSigner
from shared.db import SessionDep
from shared.identity import CallerDep

router = APIRouter(prefix="/v1/releases", tags=["releases"])


@router.get("/keys", summary="The public key that signs releases")
async def keys(request: Request, caller: CallerDep) -> dict[str, Any]:
    signer: ReleaseSigner = request.app.state.release_signer
    return {
        "keys": [{"key_id": signer.key_id, "algorithm": "ES256", "public_key": signer.public_pem}],
        "canonicalisation": "RFC 8785 JSON; SHA-256 digest of each value document",
    }


@router.get("/{release_id}", summary="A release, its manifest and the result of verifying it")
async def get_release(
    request: Request, session: SessionDep, caller: CallerDep, release_id: uuid.UUID
) -> dict[str, Any]:
    signer: ReleaseSigner = request.app.state.release_signer
    return await verify_release(session, signer, release_id)
