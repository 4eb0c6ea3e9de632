"""Each service's Alembic environment: upgrade → downgrade → upgrade, and ``alembic check``."""

from __future__ import annotations

import asyncpg
import pytest
from alembic import command

from shared.bootstrap import SERVICES, alembic_config, plain_url
from tests.support.database import ThrowawayDatabase, fresh_database


@pytest.fixture(scope="module")
def scratch(pg_server: str) -> ThrowawayDatabase:
    """A database of its own, so downgrades never disturb the rest of the suite."""
    return fresh_database(pg_server, label="mig")


async def _tables(url: str, schema: str) -> set[str]:
    conn = await asyncpg.connect(plain_url(url))
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


@pytest.mark.parametrize("service", SERVICES)
async def test_round_trip_and_check(scratch: ThrowawayDatabase, service: str) -> None:
    import asyncio

    cfg = alembic_config(service, scratch.admin_url)
    before = await _tables(scratch.admin_url, service)
    assert "alembic_version" in before
    await asyncio.to_thread(command.downgrade, cfg, "base")
    assert await _tables(scratch.admin_url, service) == {"alembic_version"}
    await asyncio.to_thread(command.upgrade, cfg, "heads")
    assert await _tables(scratch.admin_url, service) == before
    # the models and the migrations agree: nothing left to autogenerate
    await asyncio.to_thread(command.check, cfg)


async def test_version_tables_live_in_each_schema(scratch: ThrowawayDatabase) -> None:
    conn = await asyncpg.connect(plain_url(scratch.admin_url))
    try:
        rows = await conn.fetch(
            "SELECT schemaname FROM pg_tables WHERE tablename = 'alembic_version'"
        )
    finally:
        await conn.close()
    assert {r["schemaname"] for r in rows} == set(SERVICES)
