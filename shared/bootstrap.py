"""Database bootstrap: roles, schemas and grants, then every service's migrations.

One idempotent command for the run command, compose and Kubernetes::

    python -m shared.bootstrap            # settings from BOOTSTRAP_* variables
    python -m shared.bootstrap production # and the production seed (shared/provision.py)

Each service gets a schema (``actions``, ``kpis``, ``audit``, ``gateway``, ``board``) owned by
the migrating role and a login role named apart from it (``actions_svc``, ...) that may use
its own schema only: USAGE on it, SELECT/INSERT/UPDATE/DELETE on its tables by default
privileges (a migration may take rights back, as the trail does), nothing anywhere else.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from alembic import command
from alembic.config import Config
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.config import RELAXED_PROFILES, Profile, is_placeholder

SERVICES = ("actions", "kpis", "audit", "gateway", "board")
ROOT = Path(__file__).resolve().parent.parent


def role_name(service: str) -> str:
    return f"{service}_svc"


class BootstrapSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOTSTRAP_", extra="ignore")

    profile: Profile = "local"
    admin_url: SecretStr = Field(
        SecretStr("postgresql://postgres@127.0.0.1:5432/platform"),
        description="URL of a role that may create roles, schemas and the database",
    )
    actions_password: SecretStr = SecretStr("dev-only-actions")
    kpis_password: SecretStr = SecretStr("dev-only-kpis")
    audit_password: SecretStr = SecretStr("dev-only-audit")
    gateway_password: SecretStr = SecretStr("dev-only-gateway")
    board_password: SecretStr = SecretStr("dev-only-board")
    create_database: bool = True

    def password_for(self, service: str) -> str:
        value: SecretStr = getattr(self, f"{service}_password")
        return value.get_secret_value()

    def check(self) -> None:
        if self.profile in RELAXED_PROFILES:
            return
        bad = [s for s in SERVICES if is_placeholder(self.password_for(s))]
        if bad:
            raise SystemExit(f"placeholder database passwords refused for: {', '.join(bad)}")


def plain_url(url: str) -> str:
    """``postgresql+asyncpg://`` → ``postgresql://`` (what asyncpg itself accepts)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def sqlalchemy_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))


def with_credentials(url: str, user: str, password: str, *, driver: str = "postgresql") -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(scheme=driver, netloc=netloc))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


async def ensure_database(admin_url: str) -> None:
    name = database_name(admin_url)
    maintenance = urlunsplit(urlsplit(plain_url(admin_url))._replace(path="/postgres"))
    conn = await asyncpg.connect(maintenance)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(
                await conn.fetchval("SELECT format('CREATE DATABASE %I', $1::text)", name)
            )
    finally:
        await conn.close()


async def _exec_format(conn: asyncpg.Connection, template: str, *args: str) -> None:
    """Run DDL whose identifiers and literals are quoted by the server's ``format()``."""
    placeholders = ", ".join(f"${i + 1}::text" for i in range(len(args)))
    sql = await conn.fetchval(f"SELECT format('{template}', {placeholders})", *args)
    await conn.execute(sql)


#: What every service role is, in words a managed database's administrator (CREATEROLE and
#: CREATEDB, not SUPERUSER: RDS, Azure, Cloud SQL) may say. A role it creates is NOSUPERUSER
#: by default; naming the SUPERUSER attribute at all in ALTER ROLE is a superuser's right, so
#: the attribute is checked instead of set.
ROLE_ATTRIBUTES = "LOGIN NOCREATEDB NOCREATEROLE NOINHERIT"


async def _ensure_login_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    """Create the service role, or bring an existing one back to ``ROLE_ATTRIBUTES`` and the
    given password. Idempotent; refuses (rather than runs with) a superuser service role."""
    found = await conn.fetchrow("SELECT rolsuper FROM pg_roles WHERE rolname = $1", role)
    if found is None:
        await _exec_format(
            conn, f"CREATE ROLE %I WITH NOSUPERUSER {ROLE_ATTRIBUTES} PASSWORD %L", role, password
        )
        return
    if found["rolsuper"]:
        raise SystemExit(
            f"bootstrap: role {role} is a superuser; a superuser must run "
            f"ALTER ROLE {role} NOSUPERUSER before the bootstrap can continue"
        )
    await _exec_format(conn, f"ALTER ROLE %I WITH {ROLE_ATTRIBUTES} PASSWORD %L", role, password)


async def ensure_roles_and_schemas(settings: BootstrapSettings) -> None:
    admin_url = plain_url(settings.admin_url.get_secret_value())
    conn = await asyncpg.connect(admin_url)
    try:
        owner = await conn.fetchval("SELECT current_user")
        db = await conn.fetchval("SELECT current_database()")
        await _exec_format(conn, "REVOKE ALL ON DATABASE %I FROM PUBLIC", db)
        await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for service in SERVICES:
            role = role_name(service)
            password = settings.password_for(service)
            await _ensure_login_role(conn, role, password)
            await _exec_format(conn, "GRANT CONNECT ON DATABASE %I TO %I", db, role)
            await _exec_format(
                conn, "CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I", service, owner
            )
            await _exec_format(conn, "REVOKE ALL ON SCHEMA %I FROM PUBLIC", service)
            await _exec_format(conn, "GRANT USAGE ON SCHEMA %I TO %I", service, role)
            await _exec_format(
                conn,
                "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I "
                "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I",
                owner,
                service,
                role,
            )
            await _exec_format(
                conn,
                "ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA %I "
                "GRANT USAGE, SELECT ON SEQUENCES TO %I",
                owner,
                service,
                role,
            )
    finally:
        await conn.close()


def alembic_config(service: str, url: str) -> Config:
    cfg = Config(str(ROOT / "services" / service / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    cfg.cmd_opts = None
    cfg.attributes["url"] = url
    # env.py reads the URL from -x url=...; set it the same way for programmatic calls.
    cfg.cmd_opts = _XArgs([f"url={sqlalchemy_url(url)}"])  # type: ignore[assignment]
    return cfg


class _XArgs:
    def __init__(self, x: list[str]) -> None:
        self.x = x


def migrate(admin_url: str, services: tuple[str, ...] = SERVICES, revision: str = "heads") -> None:
    for service in services:
        command.upgrade(alembic_config(service, admin_url), revision)


def bootstrap(settings: BootstrapSettings) -> None:
    settings.check()
    admin_url = settings.admin_url.get_secret_value()
    if settings.create_database:
        asyncio.run(ensure_database(admin_url))
    asyncio.run(ensure_roles_and_schemas(settings))
    migrate(admin_url)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["production"]:
        # roles, schemas, migrations, then the production seed (shared/provision.py)
        from shared.provision import main as production

        return production()
    if args:
        raise SystemExit("usage: python -m shared.bootstrap [production]")
    settings = BootstrapSettings()
    bootstrap(settings)
    print("bootstrap: roles, schemas and migrations are up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
