"""Releases: publishing a period signs a manifest of each published value's digest.

``GET /v1/releases/{id}`` recomputes every digest from the stored values and checks the
signature, so a figure altered after publication (even directly in the database) shows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.periods import Period
from services.kpis.releases import repository as repo
from services.kpis.releases.models import Release
from services.kpis.releases.repository import ReleaseFilter
from services.kpis.releases.schemas import ReleaseRead
from services.kpis.releases.signing import ReleaseSigner, digest
from services.kpis.values import repository as values_repo
from services.kpis.values.models import IndicatorValue
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import NotFound


def _number(value: object) -> str | None:
    return None if value is None else str(value)


def value_document(v: IndicatorValue, indicator: Indicator, org_unit_code: str) -> dict[str, Any]:
    """What a value's digest covers: every figure and its provenance."""
    return {
        "indicator": indicator.code,
        "definition_version": indicator.version,
        "org_unit": org_unit_code,
        "period_type": v.period_type,
        "period_start": v.period_start.isoformat(),
        "period_end": v.period_end.isoformat(),
        "revision": v.revision,
        "value": _number(v.value),
        "numerator": _number(v.numerator),
        "denominator": _number(v.denominator),
        "source": v.source,
        "source_agency": v.source_agency,
    }


async def create_release(
    session: AsyncSession,
    signer: ReleaseSigner,
    indicator: Indicator,
    period: Period,
    *,
    approved_by: str,
    approved_at: datetime,
) -> Release:
    release_id = uuid.uuid4()
    rows = await values_repo.published_values(session, indicator.indicator_id, period)
    # Staff-level figures are never in a release: a release is read by every partner, and a
    # digest of a small whole number can be reversed by guessing. Worker values stay behind
    # worker access (a council manager with a stated purpose, recorded); the manifest says
    # how many were left out, so the count of listed values is never silently short.
    published = [(v, code) for v, code, level in rows if level != "worker"]
    manifest = {
        "release_id": str(release_id),
        "indicator": indicator.code,
        "definition_version": indicator.version,
        "period": period.label,
        "period_type": period.type,
        "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(),
        "approved_by": approved_by,
        "approved_at": approved_at.isoformat(),
        "key_id": signer.key_id,
        "worker_values_not_listed": len(rows) - len(published),
        "values": [
            {
                "value_id": v.value_id,
                "org_unit": code,
                "revision": v.revision,
                "digest": digest(value_document(v, indicator, code)),
            }
            for v, code in published
        ],
    }
    release = Release(
        release_id=release_id,
        indicator_id=indicator.indicator_id,
        period_type=period.type,
        period_start=period.start,
        period_end=period.end,
        value_count=len(published),
        manifest=manifest,
        signature=signer.sign(manifest),
        key_id=signer.key_id,
        created_by=approved_by,
        created_at=approved_at,  # the approval's clock, not the transaction's start
    )
    session.add(release)
    await session.flush()
    return release


async def verify_release(
    session: AsyncSession, signer: ReleaseSigner, release_id: uuid.UUID
) -> dict[str, Any]:
    release = await session.get(Release, release_id)
    if release is None:
        raise NotFound("no such release")
    indicator = await session.get(Indicator, release.indicator_id)
    assert indicator is not None
    manifest = release.manifest
    listed = {item["value_id"]: item for item in manifest.get("values", [])}
    rows = await session.execute(
        select(IndicatorValue, OrgUnit.code)
        .join(OrgUnit, OrgUnit.org_unit_id == IndicatorValue.org_unit_id)
        .where(IndicatorValue.value_id.in_(list(listed)))
    )
    found = {v.value_id: (v, code) for v, code in rows.all()}
    mismatches = []
    for value_id, item in listed.items():
        stored = found.get(value_id)
        if stored is None:
            mismatches.append({"org_unit": item["org_unit"], "problem": "value missing"})
        elif digest(value_document(stored[0], indicator, stored[1])) != item["digest"]:
            mismatches.append({"org_unit": item["org_unit"], "problem": "value altered"})
    signature_valid = release.key_id == signer.key_id and signer.verify(manifest, release.signature)
    return {
        "release_id": release.release_id,
        "indicator": indicator.code,
        "period": manifest.get("period"),
        "value_count": release.value_count,
        "created_at": release.created_at,
        "key_id": release.key_id,
        "signature": release.signature,
        "manifest": manifest,
        "signature_valid": signature_valid,
        "values_match": not mismatches,
        "valid": signature_valid and not mismatches,
        "mismatches": mismatches,
    }


#: the fields ``?sort=`` allows
RELEASE_SORT = tuple(repo.RELEASE_SORT)


async def list_releases(
    session: AsyncSession,
    caller: Caller,
    page: PageParams,
    *,
    period: Period | None,
    agency: str | None,
    indicator: str | None,
    sort: list[SortKey],
) -> Page[ReleaseRead]:
    """Published releases, newest first unless ``sort`` says otherwise (every partner reads
    what was published)."""
    rows, total = await repo.page_releases(
        session, ReleaseFilter(period=period, agency=agency, indicator=indicator), sort, page
    )
    items = [
        ReleaseRead(
            **row,
            period=Period.from_dates(
                row["period_type"], row["period_start"], row["period_end"]
            ).label,
        )
        for row in rows
    ]
    return page_of(items, total, page)
