"""Suite-wide fixtures: one throwaway database per run, migrated once with Alembic."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from tests import outside_reads
from tests.support.apps import rolled_back
from tests.support.database import ThrowawayDatabase, fresh_database, server_url

#: shared fixtures kept beside the harness (the SMTP sink of the notification tests)
pytest_plugins = ["tests.support.smtp"]

outside_reads.install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any test read a file beside the repository (see outside_reads)."""
    if outside_reads.OUTSIDE:
        names = "\n  ".join(sorted(outside_reads.OUTSIDE))
        print(f"\nTests read files outside the repository:\n  {names}", file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with server_url() as url:
        yield url


@pytest.fixture(scope="session")
def database(pg_server: str) -> ThrowawayDatabase:
    return fresh_database(pg_server)


def _engine(url: str) -> AsyncEngine:
    return create_async_engine(url, pool_size=5, max_overflow=5)


@pytest.fixture(scope="session")
async def engines(database: ThrowawayDatabase) -> AsyncIterator[dict[str, AsyncEngine]]:
    """An engine per service, each connecting as that service's own role."""
    made = {
        s: _engine(database.service_url(s))
        for s in ("actions", "kpis", "audit", "gateway", "board")
    }
    made["admin"] = _engine(database.admin_async_url())
    yield made
    for engine in made.values():
        await engine.dispose()


def connection_fixture(service: str):  # type: ignore[no-untyped-def]
    """A fixture yielding a rolled-back connection as ``service``'s role."""

    @pytest.fixture
    async def _connection(engines: dict[str, AsyncEngine]) -> AsyncIterator[AsyncConnection]:
        async with rolled_back(engines[service]) as connection:
            yield connection

    return _connection


actions_connection = connection_fixture("actions")
kpis_connection = connection_fixture("kpis")
audit_connection = connection_fixture("audit")
gateway_connection = connection_fixture("gateway")
board_connection = connection_fixture("board")
admin_connection = connection_fixture("admin")
