"""The kpis service's schema, declarative base, outbox and idempotency tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.idempotency import idempotency_table
from shared.outbox import outbox_table

SCHEMA = "kpis"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


outbox = outbox_table(Base.metadata, commit_ordered=True)  # webhooks walk it
idempotency = idempotency_table(Base.metadata)
