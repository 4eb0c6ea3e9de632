"""``/v1/org-units``: authority → service → locality → team (→ worker, managers only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from services.kpis import access
from services.kpis.db import outbox
from services.kpis.orgunits.models import OrgUnit
from shared.db import SessionDep
from shared.identity import CallerDep
from shared.outbox import OutboxEvent, add_event
from shared.pagination import Page, PageDep
from shared.problems import Conflict, Forbidden, InvalidInput

router = APIRouter(prefix="/v1/org-units", tags=["org-units"])


class OrgUnitRead(BaseModel):
    code: str
    level: str
    parent: str | None
    name: str | None


class OrgUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")
    level: Literal["service", "locality", "team", "worker"]
    parent: str = Field(min_length=2, max_length=60)
    name: str | None = Field(None, max_length=200)


@router.get("", summary="Org units (workers only for council managers)")
async def list_units(
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    parent: Annotated[str | None, Query(max_length=60)] = None,
) -> Page[OrgUnitRead]:
    parent_unit = OrgUnit.__table__.alias("p")
    query = select(
        OrgUnit.code, OrgUnit.level, parent_unit.c.code.label("parent"), OrgUnit.name
    ).outerjoin(parent_unit, parent_unit.c.org_unit_id == OrgUnit.parent_id)
    if not access.is_council_manager(caller):
        query = query.where(OrgUnit.level != "worker")
    if parent:
        query = query.where(parent_unit.c.code == parent)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(OrgUnit.org_unit_id).limit(page.limit).offset(page.offset)
    rows = await session.execute(query)
    return Page(
        items=[OrgUnitRead(code=r[0], level=r[1], parent=r[2], name=r[3]) for r in rows.all()],
        total=total or 0,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("", status_code=201, summary="Add an org unit (council performance staff)")
async def create_unit(session: SessionDep, caller: CallerDep, body: OrgUnitCreate) -> OrgUnitRead:
    if not access.is_performance_staff(caller):
        raise Forbidden("only council performance staff manage org units")
    parent = await session.scalar(select(OrgUnit).where(OrgUnit.code == body.parent))
    if parent is None:
        raise InvalidInput(
            "unknown parent",
            extensions={
                "errors": [{"field": "parent", "in": "body", "message": "unknown org unit"}]
            },
        )
    if await session.scalar(select(OrgUnit.org_unit_id).where(OrgUnit.code == body.code)):
        raise Conflict("an org unit with this code exists")
    session.add(
        OrgUnit(code=body.code, level=body.level, parent_id=parent.org_unit_id, name=body.name)
    )
    await session.flush()
    await add_event(
        session,
        outbox,
        OutboxEvent(
            event_type="org_unit.created",
            entity_type="org_unit",
            entity_id=body.code,
            actor=caller.as_actor(),
            payload={"code": body.code, "level": body.level},
        ),
    )
    return OrgUnitRead(code=body.code, level=body.level, parent=body.parent, name=body.name)
