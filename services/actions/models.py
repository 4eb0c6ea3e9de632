"""Every table of the service, imported so the metadata is complete (Alembic, tests)."""

from __future__ import annotations

from services.actions.db import Base, outbox

metadata = Base.metadata

__all__ = ["metadata", "outbox"]
