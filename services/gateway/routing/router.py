"""The gateway's front door for ``/v1/<resource>...`` and its health report.

Each forwarded request (taken by the hot path, ``routing/hotpath.py``): verify the caller's
token, count it against the rate limit, check the policy (``admit``), then forward with an
internal token naming the caller; the ``/v1/{path}`` route answers what no service owns.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.gateway import policy, trail
from services.gateway.config import GatewaySettings
from services.gateway.deps import authenticate
from services.gateway.ratelimit.limiter import RateLimiter, route_class
from services.gateway.tokens.access import Principal
from shared.logs import get_logger
from shared.problems import DomainError, Forbidden, problem_response

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
log = get_logger("gateway.access")


async def admit(request: Request, principal: Principal) -> None:
    """Rate limit and policy check for a verified caller; 429 or 403 otherwise."""
    caller = principal.caller
    limiter: RateLimiter = request.app.state.limiter
    key = f"{caller.kind}:{caller.client_id}:{caller.subject}"
    path = request.scope["path"]  # one spelling only (edges.PathGuardMiddleware): forwarded
    await limiter.check(route_class(request.method, path), key)
    permission = policy.required_permission(request.method, path)
    if permission is None or not policy.allows(caller, permission):
        log.info("access.denied", method=request.method, route=path[:200])
        # best effort: a refusal is answered even when the trail cannot be written
        await trail.record_refusal(
            request.app.state.sessionmaker,
            "access.denied",
            entity_type="route",
            entity_id=f"{request.method} {path}",
            actor=caller.as_actor(),
            payload={"permission": permission},
        )
        raise Forbidden("the caller may not use this operation")


async def proxy_endpoint(request: Request) -> Response:
    """``/v1/...`` that no service owns: 404 to a verified caller, 401 otherwise. Every path a
    service owns is forwarded by the hot path (``routing/hotpath.py``) before this route."""
    try:
        await authenticate(request, request.headers.get("authorization"))
    except DomainError as exc:
        return problem_response(
            exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            instance=request.scope["path"],
            headers=exc.headers,
        )
    return problem_response(404, detail="no such resource", instance=request.scope["path"])


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
