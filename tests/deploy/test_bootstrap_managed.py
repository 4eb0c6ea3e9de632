"""The bootstrap as a managed database's administrator (RDS, Azure, Cloud SQL): a role with
CREATEROLE and CREATEDB but not SUPERUSER, owning the platform's database. The Kubernetes Job
runs it before every rollout, so it must pass twice in a row as that role (issue 22, item 1)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from pydantic import SecretStr

from shared.bootstrap import SERVICES, BootstrapSettings, bootstrap, role_name, with_credentials
from tests.support.database import TEST_PASSWORDS


def _plain(url: str, database: str | None = None) -> str:
    url = url.replace("postgresql+psycopg2://", "postgresql://")
    return url if database is None else url.rsplit("/", 1)[0] + "/" + database


@pytest.fixture
async def managed_admin(pg_server: str) -> AsyncIterator[str]:
    """A CREATEROLE CREATEDB non-superuser and a database it owns; its URL on that database.

    The service roles are cluster-wide: where the suite's superuser already made them, the
    administrator is given ADMIN OPTION on them, which is what PostgreSQL 16+ gives a
    CREATEROLE role on the roles it creates (a managed administrator's own earlier run);
    where they do not exist yet, the first bootstrap creates them as the administrator.
    """
    suffix = uuid.uuid4().hex[:8]
    admin, password, db = f"managed_admin_{suffix}", f"pw-{suffix}", f"managed_{suffix}"
    superuser = await asyncpg.connect(_plain(pg_server, "postgres"))
    try:
        await superuser.execute(
            f"CREATE ROLE {admin} LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD '{password}'"
        )
        for service in SERVICES:
            if await superuser.fetchval(
                "SELECT 1 FROM pg_roles WHERE rolname = $1", role_name(service)
            ):
                await superuser.execute(f"GRANT {role_name(service)} TO {admin} WITH ADMIN OPTION")
        await superuser.execute(f"CREATE DATABASE {db} OWNER {admin}")
        yield with_credentials(_plain(pg_server, db), admin, password)
    finally:
        await superuser.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        await superuser.execute(f"DROP ROLE IF EXISTS {admin}")
        await superuser.close()


def _settings(admin_url: str) -> BootstrapSettings:
    return BootstrapSettings(
        profile="production",
        admin_url=SecretStr(admin_url),
        create_database=False,
        **{f"{s}_password": SecretStr(p) for s, p in TEST_PASSWORDS.items()},  # type: ignore[arg-type]
    )


async def test_bootstrap_runs_twice_as_a_managed_non_superuser_admin(managed_admin: str) -> None:
    conn = await asyncpg.connect(managed_admin)
    try:
        assert (
            await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            is False
        )
    finally:
        await conn.close()

    # bootstrap() runs its own event loops: off this test's loop, in a thread
    await asyncio.to_thread(bootstrap, _settings(managed_admin))  # the first rollout
    await asyncio.to_thread(bootstrap, _settings(managed_admin))  # the second: what failed

    conn = await asyncpg.connect(managed_admin)
    try:
        for service in SERVICES:
            row = await conn.fetchrow(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolcanlogin "
                "FROM pg_roles WHERE rolname = $1",
                role_name(service),
            )
            assert dict(row) == {
                "rolsuper": False,
                "rolcreatedb": False,
                "rolcreaterole": False,
                "rolinherit": False,
                "rolcanlogin": True,
            }
            assert await conn.fetchval(
                "SELECT version_num IS NOT NULL FROM " + f'"{service}".alembic_version'
            )
    finally:
        await conn.close()
    # each service role still reaches its own schema in the managed database, and only it
    database = managed_admin.rsplit("/", 1)[1]
    for service in SERVICES:
        own = await asyncpg.connect(
            with_credentials(
                _plain(managed_admin, database), role_name(service), TEST_PASSWORDS[service]
            )
        )
        try:
            assert await own.fetchval(f'SELECT count(*) FROM "{service}".outbox') >= 0
            other = next(s for s in SERVICES if s != service)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await own.fetch(f'SELECT * FROM "{other}".outbox LIMIT 1')
        finally:
            await own.close()
