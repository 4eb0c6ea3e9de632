"""Each service role uses its own schema only (architecture: no query crosses schemas)."""

from __future__ import annotations

import itertools

import asyncpg
import pytest

from shared.bootstrap import SERVICES
from tests.support.database import ThrowawayDatabase

PAIRS = [(a, b) for a, b in itertools.permutations(SERVICES, 2)]


@pytest.mark.parametrize(("role_of", "schema"), PAIRS, ids=[f"{a}-reads-{b}" for a, b in PAIRS])
async def test_a_service_role_cannot_read_another_schema(
    database: ThrowawayDatabase, role_of: str, schema: str
) -> None:
    conn = await asyncpg.connect(database.service_url(role_of, driver="postgresql"))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch(f'SELECT * FROM "{schema}".outbox LIMIT 1')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'CREATE TABLE "{schema}".intruder (id int)')
    finally:
        await conn.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_role_uses_its_own_schema_but_cannot_change_its_shape(
    database: ThrowawayDatabase, service: str
) -> None:
    conn = await asyncpg.connect(database.service_url(service, driver="postgresql"))
    try:
        assert await conn.fetchval(f'SELECT count(*) FROM "{service}".outbox') >= 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'CREATE TABLE "{service}".extra (id int)')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE public.extra (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(f'DROP TABLE "{service}".outbox')
    finally:
        await conn.close()
