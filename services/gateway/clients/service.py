"""Rules for machine clients: creation, secret rotation, disabling (council admins only)."""

from __future__ import annotations

import secrets as std_secrets
import uuid
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway import events, hashing
from services.gateway.clients import repository
from services.gateway.clients.models import Client
from services.gateway.clients.schemas import ClientCreate, ClientRead, ClientWithSecret
from services.gateway.hashing import SecretHasher
from services.gateway.keys import repository as keys_repository
from services.gateway.policy import SCOPES
from shared.clock import utc_now
from shared.identity import Caller
from shared.pagination import Page, PageParams, SortKey, page_of
from shared.problems import Conflict, Forbidden, InvalidInput, NotFound

ASSERTION_ALGORITHMS = {"EC": ["ES256", "ES384"], "RSA": ["RS256", "PS256"], "OKP": ["EdDSA"]}
#: Held only by the services' own outbox relays (``<service>-relay``), which the bootstrap
#: provisions (``services/gateway/seed.py``); never granted, rotated or changed through the API.
SERVICE_SCOPE = "trail:append"
RELAY_SUFFIX = "-relay"
#: A service's own reader of the others (``board-reader``): provisioned by the seed too.
READER_SUFFIX = "-reader"
SERVICE_SUFFIXES = (RELAY_SUFFIX, READER_SUFFIX)


def is_service_identity(client: Client) -> bool:
    """A service's own identity (relay or reader): provisioned by the bootstrap, read-only in
    the API."""
    return SERVICE_SCOPE in client.scopes or client.client_id.endswith(SERVICE_SUFFIXES)


def out(client: Client, secret: str | None = None) -> ClientWithSecret:
    return ClientWithSecret(
        client_id=client.client_id,
        name=client.name,
        agency=client.agency,
        scopes=list(client.scopes),
        auth_method="private_key_jwt" if client.public_jwk else "client_secret",
        created_at=client.created_at,
        rotated_at=client.rotated_at,
        disabled_at=client.disabled_at,
        service_identity=is_service_identity(client),
        client_secret=secret,
    )


def _check_jwk(jwk: dict[str, Any]) -> dict[str, Any]:
    if any(k in jwk for k in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise InvalidInput("public_jwk must hold a public key only")
    algorithms = ASSERTION_ALGORITHMS.get(str(jwk.get("kty")))
    if not algorithms:
        raise InvalidInput("public_jwk: kty must be EC, RSA or OKP")
    try:
        jwt.PyJWK(jwk, algorithm=str(jwk.get("alg") or algorithms[0]))
    except jwt.PyJWTError as exc:
        raise InvalidInput("public_jwk is not a usable key") from exc
    return {k: v for k, v in jwk.items() if isinstance(v, str)}


async def create(
    session: AsyncSession, data: ClientCreate, actor: Caller, hasher: SecretHasher
) -> ClientWithSecret:
    unknown = set(data.scopes) - SCOPES
    if unknown:
        raise InvalidInput("unknown scopes", extensions={"scopes": sorted(unknown)})
    if SERVICE_SCOPE in data.scopes:
        raise Forbidden(
            "trail:append is held only by the services' own relay identities, "
            "which the bootstrap provisions"
        )
    if data.client_id is not None and data.client_id.endswith(SERVICE_SUFFIXES):
        raise Forbidden(
            "client ids ending in -relay or -reader are reserved for the services' own identities"
        )
    if not await repository.agency_exists(session, data.agency):
        raise InvalidInput("unknown agency", extensions={"field": "agency"})
    client_id = data.client_id or f"{data.agency}-{std_secrets.token_hex(6)}"
    if await repository.by_client_id(session, client_id):
        raise Conflict("a client with this client_id exists")
    secret = None if data.public_jwk else hashing.new_secret()
    client = Client(
        id=uuid.uuid4(),
        client_id=client_id,
        name=data.name,
        agency=data.agency,
        scopes=sorted(set(data.scopes)),
        secret_hash=hasher.hash(secret) if secret else None,
        public_jwk=_check_jwk(data.public_jwk) if data.public_jwk else None,
        created_at=utc_now(),
    )
    await repository.add(session, client)
    await events.emit(
        session,
        actor,
        "client.created",
        entity_type="client",
        entity_id=client_id,
        payload={"agency": client.agency, "scopes": client.scopes},
    )
    return out(client, secret)


async def _get(session: AsyncSession, client_id: str) -> Client:
    client = await repository.by_client_id(session, client_id)
    if client is None:
        raise NotFound("no such client")
    return client


async def _changeable(session: AsyncSession, client_id: str) -> Client:
    client = await _get(session, client_id)
    if is_service_identity(client):
        raise Forbidden(
            "a service's relay identity is provisioned by the bootstrap and cannot be "
            "changed through the API"
        )
    return client


async def get(session: AsyncSession, client_id: str) -> ClientRead:
    return out(await _get(session, client_id))


#: the fields ``?sort=`` allows
CLIENT_SORT = tuple(repository.CLIENT_SORT)


async def list_all(
    session: AsyncSession, sort: list[SortKey], page: PageParams
) -> Page[ClientRead]:
    """One page of the partner systems, by id unless ``sort`` says otherwise (never a
    secret)."""
    rows, total = await repository.page_clients(session, sort, page)
    items = [ClientRead(**out(c).model_dump(exclude={"client_secret"})) for c in rows]
    return page_of(items, total, page)


async def rotate_secret(
    session: AsyncSession, client_id: str, actor: Caller, hasher: SecretHasher
) -> ClientWithSecret:
    client = await _changeable(session, client_id)
    if client.public_jwk:
        raise Conflict("this client authenticates with private_key_jwt")
    secret = hashing.new_secret()
    client.secret_hash = hasher.hash(secret)
    client.rotated_at = utc_now()
    await session.flush()
    await events.emit(
        session,
        actor,
        "client.rotated",
        entity_type="client",
        entity_id=client_id,
    )
    return out(client, secret)


async def disable(
    session: AsyncSession, client_id: str, actor: Caller, token_ttl_s: int
) -> ClientWithSecret:
    """Disable a client: no new tokens, and its live tokens are deny-listed until they expire."""
    client = await _changeable(session, client_id)
    now = utc_now()
    client.disabled_at = client.disabled_at or now
    await session.flush()
    await keys_repository.upsert_deny(
        session, "client", client_id, "client disabled", now + timedelta(seconds=token_ttl_s + 120)
    )
    await events.emit(
        session,
        actor,
        "client.disabled",
        entity_type="client",
        entity_id=client_id,
    )
    return out(client)
