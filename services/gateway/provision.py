"""Production seed of the gateway: signing keys, the relays' identities, the first administrator.

``python -m services.gateway.provision`` (the production bootstrap runs it:
``python -m shared.bootstrap production``). Safe to run again: nothing that exists changes,
and the first administrator's password is printed only when that account is made.

- stored signing keys wrapped with ``GATEWAY_KEY_WRAPPING_KEY`` (rows from before, or wrapped
  by ``GATEWAY_KEY_WRAPPING_KEY_PREVIOUS``), and the first key when there is none;
- one relay client per entry of ``PROVISION_RELAY_SECRETS`` (JSON ``{"<service>-relay":
  secret}``): agency ``council``, scope ``trail:append`` only — clients the API cannot manage;
- ``PROVISION_FIRST_ADMIN``: the username of the first council administrator, made when no
  administrator exists, with a password and a TOTP secret printed once; ``federated`` makes
  none (administrators come from ``GATEWAY_TRUSTED_ISSUERS``' role mapping).

Reads ``GATEWAY_DATABASE_URL``, ``GATEWAY_PROFILE`` and the wrapping keys; no other gateway
secret (forwarding is not started).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys

from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.gateway.config import GatewaySettings
from services.gateway.hashing import SecretHasher
from services.gateway.keys.keyring import ensure_signing_key, rewrap_keys
from services.gateway.keys.wrapping import KeyWrapper
from services.gateway.seed import ensure_relay
from services.gateway.users import repository as users
from services.gateway.users import service as users_service
from services.gateway.users.schemas import UserCreate
from shared.db import create_sessionmaker
from shared.identity import Caller

FEDERATED = "federated"
BOOTSTRAP = Caller(subject="bootstrap", agency="council", roles=frozenset({"admin"}))


async def first_admin(session: AsyncSession, hasher: SecretHasher, username: str) -> list[str]:
    """The lines to print: the new administrator's credentials, once; else why there are none."""
    if username == FEDERATED:
        return ["gateway: no local administrator (federated: GATEWAY_TRUSTED_ISSUERS)"]
    existing = [u for u in await users.all_users(session) if "admin" in u.roles]
    if existing:
        return [f"gateway: {len(existing)} administrator(s) present; no password printed"]
    password = secrets.token_urlsafe(18)
    made = await users_service.create(
        session,
        UserCreate(username=username, agency="council", roles=["admin"], password=password),
        BOOTSTRAP,
        hasher,
    )
    return [
        "FIRST ADMINISTRATOR (shown once, kept nowhere; change the password at first login):",
        f"  username: {made.username}",
        f"  password: {password}",
        f"  totp secret: {made.totp_secret}",
        f"  totp uri: {made.totp_uri}",
    ]


async def provision(
    session: AsyncSession,
    wrapper: KeyWrapper,
    hasher: SecretHasher,
    relays: dict[str, str],
    admin: str,
) -> list[str]:
    rewrapped = await rewrap_keys(session, wrapper)
    created = await ensure_signing_key(session, wrapper)
    for client_id, secret in sorted(relays.items()):
        await ensure_relay(session, hasher, client_id, secret)
    lines = [
        f"gateway: signing keys wrapped by wrapping key {wrapper.key_id} "
        f"({rewrapped} rewrapped, {'a first key made' if created else 'none made'}); "
        f"relay clients: {', '.join(sorted(relays)) or 'none'}"
    ]
    return lines + await first_admin(session, hasher, admin)


async def _main() -> int:
    settings = GatewaySettings(forwarding_enabled=False)
    relays: dict[str, str] = json.loads(os.environ.get("PROVISION_RELAY_SECRETS", "{}"))
    admin = os.environ.get("PROVISION_FIRST_ADMIN", "council.admin")
    engine = create_async_engine(settings.database_url.get_secret_value())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            lines = await provision(
                session,
                settings.key_wrapper(),
                SecretHasher.from_settings(settings),
                relays,
                admin,
            )
    finally:
        await engine.dispose()
    print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(_main()))
