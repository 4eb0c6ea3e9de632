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
from services.board.packs.models import Pack

metadata = Base.metadata

__all__ = [
    "ActionArising",
    "AgendaItem",
    "Attendee",
    "Decision",
    "Meeting",
    "MeetingType",
    "Pack",
    "idempotency_keys",
    "metadata",
    "outbox",
]
