"""``/v1/values``: watermarked values, period approval state, transitions and exports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.kpis.releases.signing import ReleaseSigner
from services.kpis.values import listing, service
from services.kpis.values.schemas import PeriodStatus, TransitionCreate, ValueRead
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.exports import EXPORT_RESPONSES, AcceptHeader, FormatQuery, chosen_format
from shared.exports import export_response as tabular
from shared.identity import CallerDep
from shared.pagination import Page, PageDep, SortKey, sort_query

router = APIRouter(prefix="/v1/values", tags=["values"])
Purpose = Annotated[
    str | None, Query(max_length=500, description="why worker-level values are read")
]
IndicatorQuery = Annotated[str | None, Query(max_length=40)]
PeriodQuery = Annotated[str | None, Query(max_length=20)]
OrgUnitQuery = Annotated[str | None, Query(max_length=60)]


def _signer(request: Request) -> ReleaseSigner:
    signer: ReleaseSigner = request.app.state.release_signer
    return signer


@router.get("", summary="Values with their watermark (state, revision, source, approval)")
async def list_values(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    sort: Annotated[list[SortKey], sort_query(listing.VALUE_SORT, "period_start")],
    indicator: IndicatorQuery = None,
    period: PeriodQuery = None,
    org_unit: OrgUnitQuery = None,
    history: Annotated[bool, Query(description="include earlier revisions")] = False,
    purpose: Purpose = None,
) -> Page[ValueRead]:
    f = listing.value_filter(indicator, period, org_unit, history)
    return await listing.values(session, caller, page, f, purpose, sort)


@router.get(
    "/export.csv",
    summary="CSV or XLSX export; each published figure carries its release id",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
async def export_values(
    session: SessionDep,
    caller: CallerDep,
    indicator: IndicatorQuery = None,
    period: PeriodQuery = None,
    org_unit: OrgUnitQuery = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """The current values as CSV, or as an XLSX workbook with `?format=xlsx` (or an `Accept`
    naming the workbook type): numbers as numbers, timestamps in UTC."""
    f = listing.value_filter(indicator, period, org_unit)
    rows = await listing.export_rows(session, caller, f)
    return tabular(
        chosen_format(format, accept),
        (r.model_dump(mode="json") for r in rows),
        (r.model_dump() for r in rows),
        listing.EXPORT_FIELDS,
        "values",
    )


@router.get(
    "/periods", summary="Approval state of an indicator for a period", response_model=PeriodStatus
)
async def get_period(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    indicator: Annotated[str, Query(min_length=1, max_length=40)],
    period: Annotated[str, Query(min_length=4, max_length=20)],
) -> PeriodStatus:
    row, _agency = await service.load_period(session, caller, indicator, period)
    response.headers["ETag"] = service.period_etag(row)
    return await listing.period_status(session, row, indicator)


@router.post(
    "/transitions",
    summary="Submit, approve (publish and sign a release) or reopen an indicator period",
    response_model=PeriodStatus,
)
async def post_transition(
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    body: TransitionCreate,
    if_match: IfMatchHeader = None,
) -> PeriodStatus:
    row = await service.transition(session, caller, body, if_match, _signer(request))
    response.headers["ETag"] = service.period_etag(row)
    return await listing.period_status(session, row, body.indicator)
