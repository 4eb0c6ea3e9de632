"""Rules of the indicator catalogue: who defines an indicator; a changed definition is a new
version (the old one kept, no longer current), never an edit in place."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.events import emit
from services.kpis.indicators import repository as repo
from services.kpis.indicators.models import Indicator
from services.kpis.indicators.schemas import IndicatorCreate, IndicatorRead, IndicatorVersionCreate
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import Conflict, Forbidden, NotFound

NOT_DEFINER = "only the source agency's approvers or council performance staff"


def to_read(row: Indicator) -> IndicatorRead:
    return IndicatorRead.model_validate(row, from_attributes=True)


def etag(row: Indicator) -> str:
    return etag_for("indicator", row.code, row.version)


#: the fields ``?sort=`` allows
INDICATOR_SORT = tuple(repo.INDICATOR_SORT)


async def page(
    session: AsyncSession,
    theme: int | None,
    source_agency: str | None,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> Page[IndicatorRead]:
    rows, total = await repo.page_current(session, theme, source_agency, sort, limit, offset)
    return Page(items=[to_read(r) for r in rows], total=total, limit=limit, offset=offset)


async def get(session: AsyncSession, code: str) -> tuple[IndicatorRead, str]:
    """The current definition and its ETag."""
    row = await repo.current(session, code)
    if row is None:
        raise NotFound("no such indicator")
    return to_read(row), etag(row)


async def versions(
    session: AsyncSession, code: str, sort: list[SortKey], page: PageParams
) -> Page[IndicatorRead]:
    rows, total = await repo.versions(session, code, sort, page)
    if not total:
        raise NotFound("no such indicator")
    return page_of([to_read(r) for r in rows], total, page)


async def create(
    session: AsyncSession, caller: Caller, body: IndicatorCreate
) -> tuple[IndicatorRead, str]:
    """Version 1 of a new code; the definition and its ETag."""
    if not access.may_define(caller, body.source_agency):
        raise Forbidden(NOT_DEFINER)
    if await repo.code_taken(session, body.code):
        raise Conflict("an indicator with this code exists; post a new version instead")
    row = await repo.add(session, Indicator(**body.model_dump(), version=1, is_current=True))
    payload = {"code": row.code, "version": 1}
    await emit(session, caller, "indicator.created", "indicator", row.code, payload)
    return to_read(row), etag(row)


async def create_version(
    session: AsyncSession,
    caller: Caller,
    code: str,
    body: IndicatorVersionCreate,
    if_match: str | None,
) -> tuple[IndicatorRead, str]:
    """A changed definition of the current version named by If-Match; the new one's ETag."""
    current = await repo.current(session, code, lock=True)
    if current is None:
        raise NotFound("no such indicator")
    if not access.may_define(caller, current.source_agency):
        raise Forbidden(NOT_DEFINER)
    check_if_match(if_match, etag(current))
    await repo.retire(session, current.indicator_id)
    data = body.model_dump()
    data["authoritative_source"] = data["authoritative_source"] or current.authoritative_source
    row = Indicator(
        **data,
        code=code,
        source_agency=current.source_agency,
        version=current.version + 1,
        is_current=True,
    )
    row = await repo.add(session, row)
    payload = {"code": code, "version": row.version}
    await emit(session, caller, "indicator.versioned", "indicator", code, payload)
    return to_read(row), etag(row)
