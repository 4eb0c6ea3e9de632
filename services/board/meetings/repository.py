"""SQL of meeting types and meetings (with their minutes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.board.meetings.models import (
    ActionArising,
    AgendaItem,
    Attendee,
    Decision,
    Meeting,
    MeetingType,
)
from shared.pagination import SortKey, order_by

_FULL = (
    selectinload(Meeting.meeting_type),
    selectinload(Meeting.attendees),
    selectinload(Meeting.agenda),
    selectinload(Meeting.decisions),
    selectinload(Meeting.actions_arising),
)
PARTS: dict[str, type[Any]] = {
    "attendees": Attendee,
    "agenda": AgendaItem,
    "decisions": Decision,
    "actions_arising": ActionArising,
}


# -- meeting types --------------------------------------------------------------------------
#: field → column for ``?sort=`` of the meeting types (ties broken by the id: creation order)
TYPE_SORT = {
    "code": MeetingType.code,
    "name": MeetingType.name,
    "created_at": MeetingType.created_at,
}


async def types_page(
    session: AsyncSession, *, sort: list[SortKey], limit: int, offset: int
) -> tuple[list[MeetingType], int]:
    total = await session.scalar(select(func.count()).select_from(MeetingType))
    order = order_by(sort, TYPE_SORT, MeetingType.meeting_type_id)
    rows = await session.scalars(select(MeetingType).order_by(*order).limit(limit).offset(offset))
    return list(rows), int(total or 0)


async def type_by_code(session: AsyncSession, code: str) -> MeetingType | None:
    found: MeetingType | None = await session.scalar(
        select(MeetingType).where(MeetingType.code == code)
    )
    return found


async def add_type(session: AsyncSession, values: dict[str, Any]) -> MeetingType:
    meeting_type = MeetingType(**values)
    session.add(meeting_type)
    await session.flush()
    await session.refresh(meeting_type)
    return meeting_type


async def lock_types(session: AsyncSession) -> None:
    """Serialise adding types, so two administrators adding one code get a 409, not a 500."""
    await session.execute(select(func.pg_advisory_xact_lock(0x626F617264)))


# -- meetings -------------------------------------------------------------------------------
async def get(session: AsyncSession, meeting_id: int, *, lock: bool = False) -> Meeting | None:
    query = (
        select(Meeting)
        .where(Meeting.meeting_id == meeting_id)
        .options(*_FULL)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update(of=Meeting)
    found: Meeting | None = await session.scalar(query)
    return found


async def previous_id(
    session: AsyncSession, meeting_type_id: int, meeting_date: date, meeting_id: int
) -> int | None:
    """The meeting of the same type just before (date, then id on the same date)."""
    found: int | None = await session.scalar(
        select(Meeting.meeting_id)
        .where(
            Meeting.meeting_type_id == meeting_type_id,
            or_(
                Meeting.meeting_date < meeting_date,
                and_(Meeting.meeting_date == meeting_date, Meeting.meeting_id < meeting_id),
            ),
        )
        .order_by(Meeting.meeting_date.desc(), Meeting.meeting_id.desc())
        .limit(1)
    )
    return found


#: field → column for ``?sort=`` of the meetings (ties broken by the id, latest first as
#: before)
MEETING_SORT = {
    "meeting_id": Meeting.meeting_id,
    "meeting_type": MeetingType.code,
    "meeting_date": Meeting.meeting_date,
    "title": Meeting.title,
    "location": Meeting.location,
}


async def page(
    session: AsyncSession,
    *,
    meeting_type_id: int | None,
    date_from: date | None,
    date_to: date | None,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> tuple[list[tuple[Meeting, str]], int]:
    query = select(Meeting, MeetingType.code).join(
        MeetingType, MeetingType.meeting_type_id == Meeting.meeting_type_id
    )
    if meeting_type_id is not None:
        query = query.where(Meeting.meeting_type_id == meeting_type_id)
    if date_from is not None:
        query = query.where(Meeting.meeting_date >= date_from)
    if date_to is not None:
        query = query.where(Meeting.meeting_date <= date_to)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(*order_by(sort, MEETING_SORT, Meeting.meeting_id.desc()))
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1]) for row in rows], int(total or 0)


async def add(session: AsyncSession, values: dict[str, Any]) -> int:
    meeting = Meeting(**values, version=1)
    session.add(meeting)
    await session.flush()
    return meeting.meeting_id


async def replace_parts(
    session: AsyncSession, meeting_id: int, name: str, rows: list[dict[str, Any]]
) -> None:
    """Replace one list of the minutes (numbered 1.. in the order given)."""
    model = PARTS[name]
    await session.execute(delete(model).where(model.meeting_id == meeting_id))
    session.add_all(
        model(meeting_id=meeting_id, position=i, **row) for i, row in enumerate(rows, start=1)
    )
    await session.flush()


async def remove(session: AsyncSession, meeting: Meeting) -> None:
    await session.delete(meeting)
    await session.flush()


async def save(session: AsyncSession) -> None:
    await session.flush()


def forget(session: AsyncSession, meeting: Meeting) -> None:
    """Drop the loaded copy so the next read sees the rows just written."""
    session.expunge(meeting)
