"""Every table of the service, imported so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.board.db import Base, idempotency_keys, outbox
from services.board.meetings.models import (
    ActionArising,
    AgendaItem,
    Attendee,
    Decision,
    Meeting,
    MeetingType,
)

metadata = Base.metadata

__all__ = [
    "ActionArising",
    "AgendaItem",
    "Attendee",
    "Decision",
    "Meeting",
    "MeetingType",
    "idempotency_keys",
    "metadata",
    "outbox",
]
