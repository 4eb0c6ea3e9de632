"""One Alembic environment per service, each seeing only its own schema.

A service's ``migrations/env.py`` calls :func:`run_alembic` with its metadata. The version
table lives in the service's schema; autogenerate and ``alembic check`` ignore every other
schema. The URL is the migrator's (schema owner), from ``-x url=...`` or
``MIGRATIONS_DATABASE_URL``, never the service's runtime role.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

URL_ENV = "MIGRATIONS_DATABASE_URL"


def migrations_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(URL_ENV)
    if not url:
        raise RuntimeError(f"set {URL_ENV} or pass -x url=... to alembic")
    return url


def _only_schema(schema: str) -> Any:
    def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
        if type_ == "schema":
            return name == schema
        return True

    return include_name


def _configure(connection: Connection, metadata: MetaData, schema: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_schemas=True,
        include_name=_only_schema(schema),
        version_table_schema=schema,
        compare_type=True,
        compare_server_default=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(metadata: MetaData, schema: str) -> None:
    engine = create_async_engine(migrations_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure, metadata, schema)
    await engine.dispose()


def run_alembic(metadata: MetaData, schema: str) -> None:
    if context.is_offline_mode():
        context.configure(
            url=migrations_url(),
            target_metadata=metadata,
            include_schemas=True,
            include_name=_only_schema(schema),
            version_table_schema=schema,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection, metadata, schema)
        return
    asyncio.run(_run_async(metadata, schema))
