"""Rules of the org-unit tree: workers are listed to council managers only; council
performance staff add units under a known parent, never reusing a code."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis import access
from services.kpis.events import emit
from services.kpis.orgunits import repository as repo
from services.kpis.orgunits.models import OrgUnit
from services.kpis.orgunits.schemas import OrgUnitCreate, OrgUnitRead
from shared.identity import Caller
from shared.pagination import Page, SortKey
from shared.problems import Conflict, Forbidden, invalid

#: the fields ``?sort=`` allows
UNIT_SORT = tuple(repo.UNIT_SORT)


async def page(
    session: AsyncSession,
    caller: Caller,
    parent: str | None,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> Page[OrgUnitRead]:
    rows, total = await repo.page(
        session,
        workers=access.is_council_manager(caller),
        parent=parent,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    items = [OrgUnitRead(code=c, level=lv, parent=p, name=n) for c, lv, p, n in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def create(session: AsyncSession, caller: Caller, body: OrgUnitCreate) -> OrgUnitRead:
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff manage org units")
    parent = await repo.by_code(session, body.parent)
    if parent is None:
        raise invalid("parent", "unknown org unit", "unknown_parent", detail="unknown parent")
    if await repo.code_taken(session, body.code):
        raise Conflict("an org unit with this code exists")
    unit = OrgUnit(code=body.code, level=body.level, parent_id=parent.org_unit_id, name=body.name)
    await repo.add(session, unit)
    payload = {"code": body.code, "level": body.level}
    await emit(session, caller, "org_unit.created", "org_unit", body.code, payload)
    return OrgUnitRead(code=body.code, level=body.level, parent=body.parent, name=body.name)
