"""The throwaway PostgreSQL the suite runs on.

``TEST_DATABASE_URL`` (a superuser URL) if set; else a container where a Docker engine
answers; else the embedded server in a temporary folder. Each run makes its own database
(and bootstraps roles, schemas and migrations into it), so runs never share state.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from shared.bootstrap import SERVICES, BootstrapSettings, bootstrap, role_name, with_credentials

TEST_PASSWORDS = {s: f"test-{s}-password" for s in SERVICES}


@dataclass(frozen=True)
class ThrowawayDatabase:
    admin_url: str  # superuser, postgresql:// form, on this run's database

    def service_url(self, service: str, driver: str = "postgresql+asyncpg") -> str:
        return with_credentials(
            self.admin_url, role_name(service), TEST_PASSWORDS[service], driver=driver
        )

    def admin_async_url(self) -> str:
        return self.admin_url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _docker_answers() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextmanager
def server_url() -> Iterator[str]:
    """A superuser URL of a PostgreSQL server for this run (database part ignored)."""
    if os.environ.get("TEST_DATABASE_URL"):
        yield os.environ["TEST_DATABASE_URL"]
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:18", driver=None) as container:
            yield container.get_connection_url()
        return
    from shared.devtools.embedded import EmbeddedPostgres

    tmp = Path(tempfile.mkdtemp(prefix="platform-test-pg-"))
    pg = EmbeddedPostgres(tmp / "pg", password="test-superuser", throwaway=True)
    try:
        yield pg.start()
    finally:
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def fresh_database(server: str, label: str = "t") -> ThrowawayDatabase:
    """A new database on ``server``, bootstrapped like production."""
    name = f"{label}_{uuid.uuid4().hex[:10]}"
    admin = server.rsplit("/", 1)[0] + "/" + name
    admin = admin.replace("postgresql+psycopg2://", "postgresql://")
    bootstrap(
        BootstrapSettings(
            profile="test",
            admin_url=SecretStr(admin),
            **{f"{s}_password": SecretStr(p) for s, p in TEST_PASSWORDS.items()},  # type: ignore[arg-type]
        )
    )
    return ThrowawayDatabase(admin_url=admin)


#: The public sample exports the tests use, kept in the repository with their sources and
#: licences (``tests/data/SOURCES.md``): a clone with nothing beside it passes its tests.
SAMPLE_DATA = Path(__file__).resolve().parents[1] / "data"
