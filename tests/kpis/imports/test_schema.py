"""The imports' models and migration 0003 agree (what ``alembic check`` will see)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpis.db import Base
from services.kpis.imports import models

OURS = {models.ImportJob.__tablename__, models.ImportValue.__tablename__} | {
    t.name for t in models.CHILD_TABLES.values()
}


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return str(table.name)
        if isinstance(part, str) and part in OURS:
            return part
        if name in OURS:
            return str(name)
    return None


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, parent: type_ != "schema" or name == "kpis",
            "compare_type": True,
        },
    )
    return [d for d in compare_metadata(context, Base.metadata) if _table_of(d) in OURS]


async def test_models_match_the_migration(kpis_connection: AsyncConnection) -> None:
    assert await kpis_connection.run_sync(_diffs) == []
