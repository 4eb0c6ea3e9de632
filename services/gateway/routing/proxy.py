"""Forwarding a request to the service that owns its path.

Caller-sent identity and forwarding headers are dropped; the request id the gateway settled
on is passed on. Upstream unreachable → 503 problem, too slow → 504, both with Retry-After.
"""

from __future__ import annotations

import asyncio
import math
from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from services.gateway.routing.breaker import Breaker
from services.gateway.routing.paths import forward_path
from services.gateway.routing.table import owner_of
from shared.logs import get_logger
from shared.problems import problem_response
from shared.request_id import current_request_id

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
#: Headers only the gateway may set on a forwarded request.
STRIPPED_REQUEST = HOP_BY_HOP | {
    "authorization",
    "cookie",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-request-id",
    "x-agency",
    "x-caller",
    "x-internal-token",
    "x-user",
    "x-roles",
    "x-scopes",
    "x-client-id",
}
#: Header families only the gateway may set (any member, present or future).
STRIPPED_PREFIXES = ("x-internal-", "x-forwarded-", "x-original-", "x-real-", "x-auth-")
STRIPPED_RESPONSE = HOP_BY_HOP | {"server", "date"}
log = get_logger("gateway.proxy")


def forward_headers(request: Request, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in STRIPPED_REQUEST and not k.lower().startswith(STRIPPED_PREFIXES)
    }
    headers["x-request-id"] = current_request_id() or ""
    headers["x-forwarded-for"] = request.app.state.client_address.of(request.scope)
    headers.update(extra or {})
    return headers


IDEMPOTENT = frozenset({"GET", "HEAD"})


def public_header(name: str, value: str, base_url: str) -> str:
    """A response header as the caller may see it: a ``Location`` on the upstream's own
    address becomes a reference relative to the gateway's (issue 18 item 3)."""
    if name.lower() != "location":
        return value
    target, upstream = urlsplit(value), urlsplit(base_url)
    if (target.scheme, target.netloc) != (upstream.scheme, upstream.netloc):
        return value
    return urlunsplit(("", "", target.path or "/", target.query, target.fragment))


def _unavailable(service: str, retry_after: float = 5) -> Response:
    return problem_response(
        503,
        code="service-unavailable",
        title="Service unavailable",
        detail=f"the {service} service is unavailable",
        extensions={"service": service},
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


async def _send(client: httpx.AsyncClient, upstream: httpx.Request, retries: int) -> httpx.Response:
    attempt = 0
    while True:
        try:
            return await client.send(upstream, stream=True)
        except httpx.ConnectError:
            # only a refused connection is retried, and only for idempotent methods
            if attempt >= retries or upstream.method not in IDEMPOTENT:
                raise
            attempt += 1
            await asyncio.sleep(0.05 * attempt)


async def forward(
    request: Request,
    client: httpx.AsyncClient,
    base_url: str,
    extra: dict[str, str] | None = None,
    *,
    breaker: Breaker | None = None,
    retries: int = 0,
) -> Response:
    service = owner_of(request.scope["path"]) or "unknown"
    if breaker is not None:
        wait = breaker.retry_after()
        if wait is not None:
            return _unavailable(service, wait)
    # the raw path the policy judged, as sent (httpx keeps an encoded path as it is)
    url = base_url.rstrip("/") + forward_path(request.scope)
    query = request.scope.get("query_string", b"")
    if query:
        url += "?" + query.decode("latin-1")
    upstream = client.build_request(
        request.method,
        url,
        headers=forward_headers(request, extra),
        content=await request.body(),
    )
    try:
        response = await _send(client, upstream, retries)
    except httpx.TimeoutException:
        if breaker is not None:
            breaker.failure()
        log.warning("upstream.timeout", upstream=service)
        return problem_response(
            504,
            code="upstream-timeout",
            title="Upstream timed out",
            detail=f"the {service} service did not answer in time",
            extensions={"service": service},
            headers={"Retry-After": "5"},
        )
    except httpx.TransportError as exc:
        if breaker is not None:
            breaker.failure()
        log.warning("upstream.unavailable", upstream=service, error_type=type(exc).__name__)
        return _unavailable(service)
    if breaker is not None:
        breaker.success()
    headers = {
        k: public_header(k, v, base_url)
        for k, v in response.headers.items()
        if k.lower() not in STRIPPED_RESPONSE
    }
    return StreamingResponse(
        response.aiter_raw(),
        status_code=response.status_code,
        headers=headers,
        background=BackgroundTask(response.aclose),
    )
