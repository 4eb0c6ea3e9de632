"""``Idempotency-Key`` on POSTs (IETF draft ``httpapi-idempotency-key-header``).

A retry with the same key and body returns the first answer instead of writing twice; the
same key with another body is a 422; a retry while the first is still running is a 409.
Keys are scoped per caller (:func:`caller_scope`: the person or the machine client, and its
agency), so two callers never see each other's answers, even with the same key and body.

Each service keeps an ``idempotency_key`` table (:func:`idempotency_table`) in its own
schema. The first request takes a transaction-scoped advisory lock on (scope, key), runs,
and stores its answer in the same transaction as its change: if the change rolls back, so
does the stored answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.identity import Caller
from shared.problems import PROBLEM_MEDIA_TYPE, Conflict, invalid

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="a unique key per logical request; a retry with the same key and body "
        "returns the first answer",
    ),
]


SCOPE_MAX = 200


def caller_scope(caller: Caller, namespace: str = "") -> str:
    """The idempotency space of ``caller``: one per person or machine client and agency.

    Never the token's ``client_id`` alone: every person's token names the same front-end
    client (``platform-web``), so scoping by it would let one person replay another's key
    and read their stored answer. A person is named by subject, a machine client by its
    subject (its client id); the agency is part of the scope too. ``namespace`` separates
    the spaces of different endpoints when a service wants that. Too long for the column:
    the caller part is replaced by its SHA-256 (never cut, so two callers never merge).
    """
    who = f"{caller.kind}:{caller.agency}:{caller.subject}"
    scope = f"{namespace}{who}"
    if len(scope) > SCOPE_MAX:
        scope = f"{namespace}{caller.kind}:sha256:{hashlib.sha256(who.encode()).hexdigest()}"
    return scope[:SCOPE_MAX]


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_key",
        metadata,
        Column("scope", String(200), nullable=False),
        Column("key", String(255), nullable=False),
        Column("fingerprint", LargeBinary(32), nullable=False),
        Column("status_code", Integer, nullable=False),
        Column("body", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("scope", "key"),
    )


def fingerprint(method: str, path: str, payload: Any) -> bytes:
    canonical = json.dumps(jsonable_encoder(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).digest()


Producer = Callable[[], Awaitable[tuple[int, Any, dict[str, str]]]]


async def run_idempotent(
    session: AsyncSession,
    table: Table,
    *,
    scope: str,
    key: str | None,
    request_fingerprint: bytes,
    produce: Producer,
) -> JSONResponse:
    """Run ``produce`` once per (scope, key); replay its stored answer afterwards.

    ``produce`` returns (status code, JSON-able body, extra headers). Without a key it
    simply runs.
    """
    if key is None:
        status, body, headers = await produce()
        return _json(jsonable_encoder(body), status, headers)
    locked = await session.scalar(
        select(func.pg_try_advisory_xact_lock(func.hashtextextended(f"{scope}\x1f{key}", 0)))
    )
    if not locked:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed",
            headers={"Retry-After": "1"},
        )
    stored = (
        await session.execute(select(table).where(table.c.scope == scope, table.c.key == key))
    ).one_or_none()
    if stored is not None:
        if bytes(stored.fingerprint) != request_fingerprint:
            raise invalid(
                "Idempotency-Key",
                "reused with a different body",
                "idempotency_key_reused",
                "header",
                detail="this Idempotency-Key was used with a different request",
            )
        headers = dict(stored.headers) | {"Idempotent-Replayed": "true"}
        return _json(stored.body, stored.status_code, headers)
    status, body, headers = await produce()
    encoded = jsonable_encoder(body)
    await session.execute(
        insert(table).values(
            scope=scope,
            key=key,
            fingerprint=request_fingerprint,
            status_code=status,
            body=encoded,
            headers=headers,
        )
    )
    return _json(encoded, status, headers)


def _json(body: Any, status: int, headers: dict[str, str]) -> JSONResponse:
    media = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
    return JSONResponse(body, status_code=status, headers=headers, media_type=media)


async def run_idempotent_post(
    session: AsyncSession,
    table: Table,
    request: Request,
    body: BaseModel,
    *,
    scope: str,
    key: str | None,
    produce: Producer,
) -> JSONResponse:
    """:func:`run_idempotent` for a POST of a JSON body: the request is fingerprinted by
    its path and body, so the same key with another body is refused."""
    return await run_idempotent(
        session,
        table,
        scope=scope,
        key=key,
        request_fingerprint=fingerprint("POST", request.url.path, body.model_dump(mode="json")),
        produce=produce,
    )
