"""The gateway's merged OpenAPI document, built in-process as ``GET /openapi.json`` builds it:
the gateway's own document and each service's, fetched through a mock transport."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.actions.config import ActionsSettings
from services.actions.main import create_app as actions_app
from services.audit.config import AuditSettings
from services.audit.main import create_app as audit_app
from services.board.config import BoardSettings
from services.board.main import create_app as board_app
from services.gateway.main import create_app as gateway_app
from services.gateway.openapi.merge import MergedOpenAPI
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from tests.gateway.conftest import gateway_settings

PUBLIC_URL = "https://gateway.council.example"


async def build_merged_document() -> dict[str, Any]:
    docs = {
        8001: actions_app(ActionsSettings(profile="test")).openapi(),
        8002: kpis_app(KpisSettings(profile="test")).openapi(),
        8003: audit_app(AuditSettings(profile="test")).openapi(),
        8004: board_app(BoardSettings(profile="test")).openapi(),
    }

    def serve(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/openapi.json"
        return httpx.Response(200, json=docs[request.url.port])

    app = gateway_app(gateway_settings(issuer=PUBLIC_URL))
    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
        app.state.upstream_client = client
        document = await MergedOpenAPI(app).document()
    assert "x-unavailable-services" not in document
    return document


@pytest.fixture(scope="session")
async def merged() -> dict[str, Any]:
    return await build_merged_document()


@pytest.fixture(scope="session")
def merged_file(merged: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("contract") / "openapi.json"
    path.write_text(json.dumps(merged, indent=1))
    return path
