"""The gateway's route table and forwarding (before authentication lands it stays switched off)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from services.gateway.config import GatewaySettings
from services.gateway.main import create_app
from services.gateway.routing.table import ROUTE_TABLE, owner_of
from tests.support.apps import client_for

ISSUE_PATHS = {
    "actions": [
        "plans",
        "themes",
        "success-criteria",
        "actions",
        "sprints",
        "recommendations",
        "risks",
        "board-summary",
    ],
    "kpis": [
        "indicators",
        "org-units",
        "submissions",
        "values",
        "series",
        "dashboard",
        "releases",
        "targets",
        "benchmarks",
        "imports",
    ],
    "audit": ["audit-tools", "audit-programmes", "audits", "findings", "audit-statistics", "trail"],
}


def test_each_resource_has_exactly_one_owner() -> None:
    for service, resources in ISSUE_PATHS.items():
        for resource in resources:
            assert ROUTE_TABLE[resource] == service
    assert owner_of("/v1/actions/1A1/updates") == "actions"
    assert owner_of("/v2/actions") is None
    assert owner_of("/v1/unknown") is None


class Recorder:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(
            200, json={"path": request.url.path}, headers={"server": "upstream/1.0"}
        )


def gateway(enabled: bool, transport: httpx.MockTransport) -> FastAPI:
    app = create_app(GatewaySettings(profile="test", forwarding_enabled=enabled))
    app.state.upstream_client = httpx.AsyncClient(transport=transport)
    return app


async def test_forwarding_is_off_by_default() -> None:
    recorder = Recorder()
    async with client_for(gateway(False, httpx.MockTransport(recorder))) as client:
        r = await client.get("/v1/actions")
    assert r.status_code == 503
    assert r.json()["type"].endswith("forwarding-disabled")
    assert recorder.requests == []
    assert GatewaySettings().forwarding_enabled is False


async def test_forwarding_goes_to_the_owner_and_strips_identity_headers() -> None:
    recorder = Recorder()
    rid = str(uuid.uuid4())
    async with client_for(gateway(True, httpx.MockTransport(recorder))) as client:
        r = await client.get(
            "/v1/indicators?code=X",
            headers={
                "X-Request-ID": rid,
                "X-Agency": "council",
                "X-Forwarded-For": "6.6.6.6",
                "X-Internal-Token": "forged",
                "Authorization": "Bearer forged",
            },
        )
    assert r.status_code == 200
    assert "server" not in r.headers
    sent = recorder.requests[0]
    assert str(sent.url).startswith("http://127.0.0.1:8002/v1/indicators")
    assert sent.url.params["code"] == "X"
    assert sent.headers["x-request-id"] == rid
    for header in ("x-agency", "x-internal-token", "authorization"):
        assert header not in sent.headers
    assert sent.headers["x-forwarded-for"] != "6.6.6.6"


@pytest.mark.parametrize(
    ("error", "status"), [(httpx.ConnectError("refused"), 503), (httpx.ReadTimeout("slow"), 504)]
)
async def test_unreachable_or_slow_upstream_is_a_problem(error: Exception, status: int) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    async with client_for(gateway(True, httpx.MockTransport(fail))) as client:
        r = await client.get("/v1/audits")
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["retry-after"]
    assert r.json()["service"] == "audit"


async def test_unknown_resource_is_404() -> None:
    async with client_for(gateway(True, httpx.MockTransport(Recorder()))) as client:
        r = await client.get("/v1/nothing-here")
    assert r.status_code == 404


async def test_gateway_health_reports_each_service() -> None:
    def health(request: httpx.Request) -> httpx.Response:
        if "8003" in str(request.url):
            raise httpx.ConnectError("down")
        return httpx.Response(200, json={"status": "ready"})

    async with client_for(gateway(False, httpx.MockTransport(health))) as client:
        body = (await client.get("/healthz")).json()
    assert body["services"] == {
        "actions": {"status": "up"},
        "kpis": {"status": "up"},
        "audit": {"status": "down", "error": "ConnectError"},
    }
    assert body["status"] == "degraded"
