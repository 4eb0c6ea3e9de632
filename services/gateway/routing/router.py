"""The gateway's front door for ``/v1/<resource>...`` and its health report."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.gateway.config import GatewaySettings
from services.gateway.routing.proxy import forward
from services.gateway.routing.table import owner_of
from shared.problems import problem_response

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def proxy_endpoint(request: Request) -> Response:
    settings: GatewaySettings = request.app.state.settings
    service = owner_of(request.url.path)
    if service is None:
        return problem_response(404, detail="no such resource", instance=request.url.path)
    if not settings.forwarding_enabled:
        return problem_response(
            503,
            code="forwarding-disabled",
            title="Forwarding disabled",
            detail="the gateway does not forward requests until authentication is configured",
        )
    client: httpx.AsyncClient = request.app.state.upstream_client
    return await forward(request, client, settings.upstreams()[service])


def proxy_route() -> Route:
    return Route("/v1/{path:path}", proxy_endpoint, methods=METHODS, name="forward")


async def _probe(client: httpx.AsyncClient, url: str, limit_s: float) -> dict[str, Any]:
    try:
        response = await client.get(url.rstrip("/") + "/readyz", timeout=limit_s)
    except httpx.HTTPError as exc:
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up" if response.status_code == 200 else "not-ready"}


async def upstream_health(request: Request) -> dict[str, Any]:
    settings: GatewaySettings = request.app.state.settings
    client: httpx.AsyncClient = request.app.state.upstream_client
    names = list(settings.upstreams())
    results = await asyncio.gather(
        *(_probe(client, settings.upstreams()[n], settings.health_timeout_s) for n in names)
    )
    services = dict(zip(names, results, strict=True))
    all_up = all(r["status"] == "up" for r in results)
    return {"status": "ok" if all_up else "degraded", "services": services}


def install_proxy(app: FastAPI) -> None:
    app.router.routes.append(proxy_route())
