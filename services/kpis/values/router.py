"""``/v1/values``: watermarked values, period approval state, transitions and CSV export."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from services.kpis.access import worker_access
from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.periods import Period
from services.kpis.releases.signing import ReleaseSigner
from services.kpis.values import repository as repo
from services.kpis.values import service
from services.kpis.values.models import IndicatorValue
from services.kpis.values.schemas import PeriodStatus, TransitionCreate, ValueRead
from shared.db import SessionDep
from shared.etag import IfMatchHeader
from shared.identity import CallerDep
from shared.pagination import Page, PageDep

router = APIRouter(prefix="/v1/values", tags=["values"])
Purpose = Annotated[
    str | None, Query(max_length=500, description="why worker-level values are read")
]


def _signer(request: Request) -> ReleaseSigner:
    signer: ReleaseSigner = request.app.state.release_signer
    return signer


def _read(row: Any) -> ValueRead:
    v: IndicatorValue = row[0]
    return ValueRead(
        indicator=row[1],
        definition_version=row[2],
        org_unit=row[3],
        org_unit_level=row[4],
        period=Period.from_dates(v.period_type, v.period_start, v.period_end).label,
        period_type=v.period_type,
        period_start=v.period_start,
        period_end=v.period_end,
        value=v.value,
        numerator=v.numerator,
        denominator=v.denominator,
        comment=v.comment,
        state=v.state,
        revision=v.revision,
        is_current=v.is_current,
        source=v.source,
        source_agency=v.source_agency,
        source_kind=v.source_kind,
        import_id=v.import_id,
        submission_id=v.submission_id,
        recorded_by=v.created_by,
        recorded_at=v.created_at,
        approved_by=v.approved_by,
        approved_at=v.approved_at,
        release_id=row[5] if v.state == "approved" else None,
    )


async def _query(
    session: SessionDep,
    caller: CallerDep,
    indicator: str | None,
    period: str | None,
    org_unit: str | None,
    history: bool,
    purpose: str | None,
) -> Any:
    workers = False
    if purpose is not None:
        workers = await worker_access(
            session,
            caller,
            purpose,
            f"values:{indicator}:{org_unit}",
            {"indicator": indicator, "period": period, "org_unit": org_unit},
        )
    query = repo.values_query(caller, workers=workers)
    if indicator:
        query = query.where(Indicator.code == indicator)
    if period:
        p = service.parse_period(period)
        query = query.where(
            IndicatorValue.period_type == p.type,
            IndicatorValue.period_start == p.start,
            IndicatorValue.period_end == p.end,
        )
    if org_unit:
        query = query.where(OrgUnit.code == org_unit)
    if not history:
        query = query.where(IndicatorValue.is_current)
    return query


@router.get("", summary="Values with their watermark (state, revision, source, approval)")
async def list_values(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
    org_unit: Annotated[str | None, Query(max_length=60)] = None,
    history: Annotated[bool, Query(description="include earlier revisions")] = False,
    purpose: Purpose = None,
) -> Page[ValueRead]:
    query = await _query(session, caller, indicator, period, org_unit, history, purpose)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(IndicatorValue.period_start, IndicatorValue.value_id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return Page(
        items=[_read(r) for r in rows.all()],
        total=total or 0,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/export.csv",
    summary="CSV export; each published figure carries its release id",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_values(
    session: SessionDep,
    caller: CallerDep,
    indicator: Annotated[str | None, Query(max_length=40)] = None,
    period: Annotated[str | None, Query(max_length=20)] = None,
    org_unit: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    query = await _query(session, caller, indicator, period, org_unit, False, None)
    rows = await session.execute(
        query.order_by(IndicatorValue.period_start, IndicatorValue.value_id).limit(100_000)
    )
    out = io.StringIO()
    fields = [
        "indicator",
        "definition_version",
        "org_unit",
        "period",
        "value",
        "numerator",
        "denominator",
        "state",
        "revision",
        "source_agency",
        "approved_by",
        "approved_at",
        "release_id",
    ]
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for r in rows.all():
        writer.writerow(_read(r).model_dump(mode="json"))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


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
    return await _status(session, row, indicator)


async def _status(session: SessionDep, row: Any, code: str) -> PeriodStatus:
    ind = await session.get(Indicator, row.indicator_id)
    period = Period.from_dates(row.period_type, row.period_start, row.period_end)
    return PeriodStatus(
        indicator=code,
        definition_version=ind.version if ind else 0,
        period=period.label,
        state=row.state,
        version=row.version,
        submitted_by=row.submitted_by,
        approved_by=row.approved_by,
        approved_at=row.approved_at,
        reopen_reason=row.reopen_reason,
        release_id=row.release_id if row.state == "approved" else None,
        value_count=await repo.count_current(session, row.indicator_id, period),
    )


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
    return await _status(session, row, body.indicator)
