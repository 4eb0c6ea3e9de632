"""The rules of meetings and meeting types.

- Meeting types: four are seeded (Improvement Board, performance clinic, scrutiny
  committee, corporate parenting board); administrators and board administrators add more.
  A code is never reused or changed: meetings refer to it.
- A meeting has a type, a date and a title, and its minutes: attendees (agency, person,
  role), the agenda, decisions (each may name the agenda item it was taken under), and
  actions arising, each linked to a plan action by reference (``1A1``, format only: the
  board never reads the actions service's database) or a new one (no reference).
- The previous meeting of the same type (earlier date; on the same date, the one recorded
  first) is the "since" of every "what changed": ``GET /v1/meetings/{id}/previous``.
- Every change writes an outbox event in the same transaction (``meeting.created``,
  ``meeting.updated``, ``meeting.deleted``, ``meeting_type.created``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.board import access
from services.board.events import emit
from services.board.meetings import repository as repo
from services.board.meetings.models import Meeting, MeetingType
from services.board.meetings.schemas import (
    LISTS,
    ActionArisingRead,
    AgendaItemRead,
    AttendeeRead,
    DecisionRead,
    MeetingCreate,
    MeetingRead,
    MeetingSummary,
    MeetingTypeCreate,
    MeetingTypeRead,
    MeetingUpdate,
)
from shared.clock import utc_now
from shared.etag import check_if_match, etag_for
from shared.identity import Caller
from shared.pagination import Page, SortKey
from shared.problems import Conflict, InvalidInput, NotFound, field_error, invalid


def _invalid(field: str, message: str, code: str = "invalid") -> InvalidInput:
    return invalid(field, message, code, detail=f"{field}: {message}")


# -- meeting types --------------------------------------------------------------------------
def type_to_read(t: MeetingType) -> MeetingTypeRead:
    return MeetingTypeRead(
        code=t.code, name=t.name, description=t.description, created_at=t.created_at
    )


#: the fields ``?sort=`` of the meeting types and of the meetings allow
TYPE_SORT = tuple(repo.TYPE_SORT)
MEETING_SORT = tuple(repo.MEETING_SORT)


async def list_types(
    session: AsyncSession, caller: Caller, *, sort: list[SortKey], limit: int, offset: int
) -> Page[MeetingTypeRead]:
    access.require_read(caller)
    rows, total = await repo.types_page(session, sort=sort, limit=limit, offset=offset)
    return Page(items=[type_to_read(t) for t in rows], total=total, limit=limit, offset=offset)


async def create_type(
    session: AsyncSession, caller: Caller, body: MeetingTypeCreate
) -> MeetingTypeRead:
    access.require_type_administrator(caller)
    await repo.lock_types(session)
    if await repo.type_by_code(session, body.code) is not None:
        raise Conflict(
            "a meeting type with this code exists",
            extensions={"errors": [field_error("code", "already in use", "duplicate")]},
        )
    made = await repo.add_type(session, body.model_dump() | {"created_by": caller.subject})
    await emit(
        session, caller, "meeting_type.created", "meeting_type", made.code, {"name": made.name}
    )
    return type_to_read(made)


async def _type_id(session: AsyncSession, code: str) -> int:
    found = await repo.type_by_code(session, code)
    if found is None:
        raise _invalid("meeting_type", "no such meeting type", "unknown")
    return found.meeting_type_id


# -- meetings -------------------------------------------------------------------------------
def etag(meeting: Meeting) -> str:
    return etag_for("meeting", meeting.meeting_id, meeting.version)


async def to_read(session: AsyncSession, m: Meeting) -> MeetingRead:
    previous = await repo.previous_id(session, m.meeting_type_id, m.meeting_date, m.meeting_id)
    return MeetingRead(
        meeting_id=m.meeting_id,
        meeting_type=m.meeting_type.code,
        meeting_date=m.meeting_date,
        title=m.title,
        location=m.location,
        notes=m.notes,
        attendees=[
            AttendeeRead(agency=a.agency, person_name=a.person_name, person_role=a.person_role)
            for a in m.attendees
        ],
        agenda=[
            AgendaItemRead(position=a.position, title=a.title, presenter=a.presenter, notes=a.notes)
            for a in m.agenda
        ],
        decisions=[
            DecisionRead(
                position=d.position, decision=d.decision, agenda_position=d.agenda_position
            )
            for d in m.decisions
        ],
        actions_arising=[
            ActionArisingRead(
                position=a.position,
                description=a.description,
                plan_action_ref=a.plan_action_ref,
                is_new_action=a.plan_action_ref is None,
                owner=a.owner,
                agency=a.agency,
                due_date=a.due_date,
            )
            for a in m.actions_arising
        ],
        previous_meeting_id=previous,
        created_by=m.created_by,
        created_at=m.created_at,
        updated_by=m.updated_by,
        updated_at=m.updated_at,
        version=m.version,
    )


async def get(session: AsyncSession, caller: Caller, meeting_id: int) -> Meeting:
    access.require_read(caller)
    return await _found(session, meeting_id)


async def _found(session: AsyncSession, meeting_id: int, *, lock: bool = False) -> Meeting:
    meeting = await repo.get(session, meeting_id, lock=lock)
    if meeting is None:
        raise NotFound("no such meeting")
    return meeting


async def previous(session: AsyncSession, caller: Caller, meeting_id: int) -> Meeting:
    meeting = await get(session, caller, meeting_id)
    found = await repo.previous_id(
        session, meeting.meeting_type_id, meeting.meeting_date, meeting.meeting_id
    )
    if found is None:
        raise NotFound(
            "this is the first meeting of its type: there is no previous meeting",
            extensions={"meeting_type": meeting.meeting_type.code},
        )
    return await _found(session, found)


async def list_meetings(
    session: AsyncSession,
    caller: Caller,
    *,
    meeting_type: str | None,
    date_from: Any,
    date_to: Any,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> Page[MeetingSummary]:
    access.require_read(caller)
    type_id = None
    if meeting_type is not None:
        found = await repo.type_by_code(session, meeting_type)
        if found is None:
            return Page(items=[], total=0, limit=limit, offset=offset)
        type_id = found.meeting_type_id
    rows, total = await repo.page(
        session,
        meeting_type_id=type_id,
        date_from=date_from,
        date_to=date_to,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    items = [
        MeetingSummary(
            meeting_id=m.meeting_id,
            meeting_type=code,
            meeting_date=m.meeting_date,
            title=m.title,
            location=m.location,
        )
        for m, code in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _check_decisions(decisions: list[dict[str, Any]], agenda_items: int) -> None:
    for i, decision in enumerate(decisions):
        position = decision.get("agenda_position")
        if position is not None and position > agenda_items:
            raise _invalid(
                f"decisions[{i}].agenda_position",
                f"the agenda has {agenda_items} item(s)",
                "no_such_agenda_item",
            )


def _counts(meeting: Meeting) -> dict[str, int]:
    return {name: len(getattr(meeting, name)) for name in LISTS}


async def create(session: AsyncSession, caller: Caller, body: MeetingCreate) -> Meeting:
    access.require_writer(caller)
    type_id = await _type_id(session, body.meeting_type)
    parts = {name: [r.model_dump() for r in getattr(body, name) or []] for name in LISTS}
    _check_decisions(parts["decisions"], len(parts["agenda"]))
    meeting_id = await repo.add(
        session,
        {
            "meeting_type_id": type_id,
            "meeting_date": body.meeting_date,
            "title": body.title,
            "location": body.location,
            "notes": body.notes,
            "created_by": caller.subject,
        },
    )
    for name, rows in parts.items():
        await repo.replace_parts(session, meeting_id, name, rows)
    meeting = await _found(session, meeting_id)
    await emit(
        session,
        caller,
        "meeting.created",
        "meeting",
        meeting_id,
        {
            "meeting_type": body.meeting_type,
            "meeting_date": body.meeting_date.isoformat(),
            **_counts(meeting),
        },
    )
    return meeting


async def update(
    session: AsyncSession,
    caller: Caller,
    meeting_id: int,
    body: MeetingUpdate,
    if_match: str | None,
) -> Meeting:
    access.require_read(caller)
    meeting = await _found(session, meeting_id, lock=True)
    access.require_writer(caller)
    check_if_match(if_match, etag(meeting))
    given = body.model_dump(exclude_unset=True)
    parts = {name: given.pop(name) for name in LISTS if name in given}
    agenda_items = len(parts["agenda"]) if "agenda" in parts else len(meeting.agenda)
    decisions = parts.get(
        "decisions", [{"agenda_position": d.agenda_position} for d in meeting.decisions]
    )
    _check_decisions(decisions, agenda_items)
    changed = sorted([*given, *parts])
    if "meeting_type" in given:
        meeting.meeting_type_id = await _type_id(session, given.pop("meeting_type"))
    for name, value in given.items():
        setattr(meeting, name, value)
    meeting.version += 1
    meeting.updated_by = caller.subject
    meeting.updated_at = utc_now()
    await repo.save(session)
    repo.forget(session, meeting)
    for name, rows in parts.items():
        await repo.replace_parts(session, meeting_id, name, rows)
    fresh = await _found(session, meeting_id)
    await emit(
        session,
        caller,
        "meeting.updated",
        "meeting",
        meeting_id,
        {"changed": changed, "version": fresh.version, **_counts(fresh)},
    )
    return fresh


async def delete(
    session: AsyncSession, caller: Caller, meeting_id: int, if_match: str | None
) -> None:
    access.require_read(caller)
    meeting = await _found(session, meeting_id, lock=True)
    access.require_writer(caller)
    check_if_match(if_match, etag(meeting))
    payload = {
        "meeting_type": meeting.meeting_type.code,
        "meeting_date": meeting.meeting_date.isoformat(),
        "title": meeting.title,
        "version": meeting.version,
        **_counts(meeting),
    }
    await repo.remove(session, meeting)
    await emit(session, caller, "meeting.deleted", "meeting", meeting_id, payload)
