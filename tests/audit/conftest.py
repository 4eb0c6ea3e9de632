"""Fixtures of the audit service's tests: the app bound to a rolled-back connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from services.audit.config import AuditSettings
from services.audit.main import create_app
from shared.identity import Caller
from tests.support.apps import bind_app, client_for
from tests.support.tokens import auth_header


def relay_caller(service: str = "actions", agency: str = "council") -> Caller:
    return Caller(
        subject=f"{service}-relay",
        agency=agency,
        scopes=frozenset({"trail:append"}),
        client_id=f"{service}-relay",
        kind="client",
    )


def reader(agency: str = "council") -> Caller:
    return Caller(
        subject=f"{agency}-trail-reader",
        agency=agency,
        scopes=frozenset({"trail:read"}),
        client_id=f"{agency}-siem",
        kind="client",
    )


def as_(who: Caller) -> dict[str, str]:
    return auth_header(who, "audit")


def event(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "action.updated",
        "entity_type": "action",
        "entity_id": "5A1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "actor": {"subject": "jo", "agency": "council", "roles": ["contributor"], "kind": "user"},
        "request_id": uuid.uuid4().hex,
        "purpose": None,
        "payload": {"status": "on_track", "ratio": 0.1},
    }
    body.update(overrides)
    return body


@pytest.fixture
def settings() -> AuditSettings:
    return AuditSettings(profile="test", checkpoint_every_events=1000)


@pytest.fixture
def audit_app(settings: AuditSettings, audit_connection: AsyncConnection) -> FastAPI:
    return bind_app(create_app(settings), audit_connection, audience="audit")


@pytest.fixture
async def client(audit_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(audit_app) as c:
        yield c


@pytest.fixture(params=["in-process", "in-blocks"])
def walk_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Verify both ways: in this process, and in blocks of one or two events checked by two
    worker processes (``trail.blocks``; what a chain of ``PARALLEL_FROM`` events takes)."""
    from services.audit.trail import blocks, service

    if request.param == "in-blocks":
        monkeypatch.setattr(service, "PARALLEL_FROM", 0)
        monkeypatch.setattr(blocks, "BLOCK_BYTES", 700)
        monkeypatch.setattr(blocks, "default_workers", lambda: 2)
    else:
        monkeypatch.setattr(blocks, "default_workers", lambda: 1)
    return str(request.param)
