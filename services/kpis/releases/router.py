"""``/v1/releases``: signed manifests of published values, verified on every read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.kpis.releases import service
from services.kpis.releases.schemas import ReleaseRead
from services.kpis.releases.service import verify_release
from services.kpis.releases.signing import ReleaseSigner
from services.kpis.values.service import parse_period
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/releases", tags=["releases"])


@router.get("", summary="Published releases, newest first (by period, agency or indicator)")
async def list_releases(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(service.RELEASE_SORT, "-created_at")],
    period: Annotated[
        str | None, Query(max_length=20, description="a period label, e.g. 2017/18-Q1")
    ] = None,
    agency: Annotated[
        str | None, Query(max_length=40, description="the publishing (source) agency")
    ] = None,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
) -> Page[ReleaseRead]:
    """Every release signed when a period was approved, newest first. `is_current` is false
    once the period was reopened or a later release published it again."""
    return await service.list_releases(
        session,
        caller,
        page,
        period=parse_period(period) if period else None,
        agency=agency,
        indicator=indicator,
        sort=sort,
    )


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
