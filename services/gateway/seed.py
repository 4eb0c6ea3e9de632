"""Seed data of the gateway (``python -m services.gateway.seed``; safe to run again).

- the first access-token signing key, if there is none;
- one relay client per service (``<service>-relay``, agency ``council``, scope
  ``trail:append`` only) with the secrets the run command keeps in
  ``<data dir>/relay-clients.json``;
- the reader clients of services that read the others through the gateway
  (``board-reader``: agency ``council``, read scopes only, and ``trail:checkpoint`` for the
  latest signed trail checkpoint its packs pin) with the secrets the run command
  keeps in ``<data dir>/reader-clients.json``;
- demo credentials, made once and kept in ``<data dir>/demo-credentials.json``: a client per
  agency and a person per role (admins with a TOTP secret). A rerun keeps the same secrets and
  re-creates any account the database lost.

Reads ``SEED_DATA_DIR`` (default ``.data``), ``SEED_GATEWAY_URL`` and ``GATEWAY_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
import uuid
from pathlib import Path
from typing import Any, get_args

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.gateway.clients import repository as clients_repository
from services.gateway.clients.models import Client
from services.gateway.config import GatewaySettings
from services.gateway.hashing import SecretHasher
from services.gateway.keys import repository as keys_repository
from services.gateway.keys.keyring import ensure_signing_key, rewrap_keys
from services.gateway.keys.wrapping import KeyWrapper
from services.gateway.users import repository as users_repository
from services.gateway.users.models import User
from shared.clock import utc_now
from shared.db import create_sessionmaker
from shared.logs import get_logger
from shared.vocabulary import Role, Scope

log = get_logger(__name__)
RELAY_SERVICES = ("actions", "kpis", "audit", "gateway", "board")
#: A service's own client for reading the other services through the gateway: read scopes
#: only, and never its own service's (the board reads the plan, KPIs and QA, not itself).
READER_CLIENTS: dict[str, list[str]] = {
    "board-reader": ["actions:read", "audit:read", "kpis:read", "trail:checkpoint"],
}
AGENCY_SCOPES = {
    # every scope but the relays' own and administration, in the vocabulary's order
    "council": [s for s in get_args(Scope) if s not in {"trail:append", "admin"}],
    "ccg": ["actions:read", "actions:write", "kpis:read", "kpis:submit"],
    "police": ["actions:read", "actions:write", "kpis:read", "kpis:submit"],
    "probation": ["actions:read", "actions:write", "kpis:read", "kpis:submit"],
}
ROLES: tuple[Role, ...] = ("viewer", "contributor", "approver", "auditor", "plan_manager", "admin")


def load_or_create_relay_secrets(path: Path) -> dict[str, str]:
    """``{"actions-relay": secret, ...}`` made once (the run command shares this file)."""
    return _load_or_create_secrets(path, [f"{s}-relay" for s in RELAY_SERVICES])


def load_or_create_reader_secrets(path: Path) -> dict[str, str]:
    """``{"board-reader": secret}`` made once (the run command shares this file)."""
    return _load_or_create_secrets(path, list(READER_CLIENTS))


def _load_or_create_secrets(path: Path, names: list[str]) -> dict[str, str]:
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in names if name not in data]
    if missing:
        data |= {name: secrets.token_urlsafe(32) for name in missing}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return data


def demo_credentials(path: Path, gateway_url: str) -> dict[str, Any]:
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text())
        data["gateway"] = gateway_url
        return data
    return {
        "gateway": gateway_url,
        "clients": [
            {
                "agency": agency,
                "client_id": f"demo-{agency}",
                "client_secret": secrets.token_urlsafe(32),
                "scopes": scopes,
            }
            for agency, scopes in AGENCY_SCOPES.items()
        ],
        "users": [
            {
                "agency": "council",
                "username": f"demo.{role.replace('_', '-')}",
                "password": "demo-" + secrets.token_urlsafe(15),
                "roles": [role],
            }
            | ({"totp_secret": pyotp.random_base32()} if role == "admin" else {})
            for role in ROLES
        ],
    }


async def ensure_client(
    session: AsyncSession,
    hasher: SecretHasher,
    client_id: str,
    agency: str,
    scopes: list[str],
    secret: str,
    name: str,
) -> None:
    client = await clients_repository.by_client_id(session, client_id)
    if client is None:
        session.add(
            Client(
                id=uuid.uuid4(),
                client_id=client_id,
                name=name,
                agency=agency,
                scopes=sorted(scopes),
                secret_hash=hasher.hash(secret),
                created_at=utc_now(),
            )
        )
    elif not hasher.verify(client.secret_hash, secret):
        client.secret_hash = hasher.hash(secret)
    await session.flush()


async def ensure_relay(
    session: AsyncSession, hasher: SecretHasher, client_id: str, secret: str
) -> None:
    """A service's relay identity exactly as the bootstrap defines it: council, ``trail:append``
    only, enabled, this secret. The API cannot change these clients, so the bootstrap is their
    only source; whatever differs (a row from before that rule) is put back and logged."""
    await ensure_service_client(
        session, hasher, client_id, ["trail:append"], secret, "outbox relay"
    )


async def ensure_service_client(
    session: AsyncSession,
    hasher: SecretHasher,
    client_id: str,
    scopes: list[str],
    secret: str,
    name: str,
) -> None:
    """A service's own identity (relay or reader) exactly as the seed defines it: council,
    these scopes, enabled, this secret; whatever differs is put back and logged."""
    wanted = sorted(scopes)
    await ensure_client(session, hasher, client_id, "council", wanted, secret, name)
    client = await clients_repository.by_client_id(session, client_id)
    assert client is not None
    if (
        client.agency != "council"
        or list(client.scopes) != wanted
        or client.public_jwk is not None
        or client.disabled_at is not None
    ):
        log.warning("seed.relay_restored", client_id=client_id)
        client.agency, client.scopes, client.public_jwk = "council", wanted, None
        client.disabled_at = None
        await keys_repository.remove_deny(session, "client", client_id)
        await session.flush()


async def ensure_user(session: AsyncSession, hasher: SecretHasher, spec: dict[str, Any]) -> None:
    user = await users_repository.by_username(session, spec["username"])
    if user is None:
        session.add(
            User(
                id=uuid.uuid4(),
                username=spec["username"],
                agency=spec["agency"],
                roles=list(spec["roles"]),
                password_hash=hasher.hash(spec["password"]),
                totp_secret=spec.get("totp_secret"),
                created_at=utc_now(),
            )
        )
    elif not hasher.verify(user.password_hash, spec["password"]):
        user.password_hash = hasher.hash(spec["password"])
        user.totp_secret = spec.get("totp_secret")
    await session.flush()


async def seed(
    session: AsyncSession,
    data_dir: Path,
    gateway_url: str,
    wrapper: KeyWrapper,
    hasher: SecretHasher,
) -> dict[str, Any]:
    await rewrap_keys(session, wrapper)  # a data folder from before keys were wrapped
    if await ensure_signing_key(session, wrapper):
        log.info("seed.signing_key")
    relays = load_or_create_relay_secrets(data_dir / "relay-clients.json")
    for name, secret in relays.items():
        await ensure_relay(session, hasher, name, secret)
    readers = load_or_create_reader_secrets(data_dir / "reader-clients.json")
    for name, secret in readers.items():
        await ensure_service_client(
            session, hasher, name, READER_CLIENTS[name], secret, "service reader"
        )
    demo = demo_credentials(data_dir / "demo-credentials.json", gateway_url)
    for client in demo["clients"]:
        await ensure_client(
            session,
            hasher,
            client["client_id"],
            client["agency"],
            client["scopes"],
            client["client_secret"],
            f"demo client ({client['agency']})",
        )
    for user in demo["users"]:
        await ensure_user(session, hasher, user)
    return demo


async def main() -> int:
    settings = GatewaySettings()
    data_dir = Path(os.environ.get("SEED_DATA_DIR", ".data"))
    gateway_url = os.environ.get("SEED_GATEWAY_URL", "http://127.0.0.1:8000")
    engine = create_async_engine(settings.database_url.get_secret_value())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            demo = await seed(
                session,
                data_dir,
                gateway_url,
                settings.key_wrapper(),
                SecretHasher.from_settings(settings),
            )
    finally:
        await engine.dispose()
    path = data_dir / "demo-credentials.json"
    path.write_text(json.dumps(demo, indent=2))
    path.chmod(0o600)
    log.info("seed.done", clients=len(demo["clients"]), users=len(demo["users"]))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
