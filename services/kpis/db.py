"""The kpis service's schema, declarative base and outbox table."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from shared.db import schema_metadata
from shared.outbox import outbox_table

SCHEMA = "kpis"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


outbox = outbox_table(Base.metadata)
