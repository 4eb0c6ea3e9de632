"""Forwarding over aiohttp directly (the hot path).

The foundation's ``httpx``-over-aiohttp client still builds httpx request and response models
(URL parsing, header objects, a cookie jar) for every call; a proxy needs none of that. This
session keeps a pool of keep-alive connections per upstream, never stores cookies (a shared
jar would leak one caller's cookies to the next), and does not decompress bodies.
"""

from __future__ import annotations

import asyncio
import math

import aiohttp
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from yarl import URL

from services.gateway.routing.breaker import Breaker
from services.gateway.routing.paths import forward_path
from services.gateway.routing.proxy import (
    IDEMPOTENT,
    STRIPPED_RESPONSE,
    forward_headers,
    public_header,
)
from services.gateway.routing.table import owner_of
from shared.logs import get_logger
from shared.problems import problem_response

BUFFER_LIMIT = 1_000_000  # answers up to this size are read whole; larger ones stream
log = get_logger("gateway.proxy")


def create_session(
    timeout_s: float, connect_timeout_s: float, limit: int = 200
) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit, keepalive_timeout=30),
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=connect_timeout_s,
            sock_connect=connect_timeout_s,
            sock_read=timeout_s,
        ),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding"),
        trust_env=False,
    )


def _problem(service: str, status: int, retry_after: float = 5) -> Response:
    slow = status == 504
    return problem_response(
        status,
        code="upstream-timeout" if slow else "service-unavailable",
        title="Upstream timed out" if slow else "Service unavailable",
        detail=f"the {service} service " + ("did not answer in time" if slow else "is unavailable"),
        extensions={"service": service},
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


async def forward_aiohttp(
    request: Request,
    session: aiohttp.ClientSession,
    base_url: str,
    extra: dict[str, str],
    *,
    breaker: Breaker,
    retries: int,
) -> Response:
    service = owner_of(request.scope["path"]) or "unknown"
    wait = breaker.retry_after()
    if wait is not None:
        return _problem(service, 503, wait)
    # the raw path the policy judged; ``encoded=True``: yarl neither requotes nor normalises
    target = base_url.rstrip("/") + forward_path(request.scope)
    query = request.scope.get("query_string", b"")
    if query:
        target += "?" + query.decode("latin-1")
    url = URL(target, encoded=True)
    method = request.method
    body = await request.body()
    headers = forward_headers(request, extra)
    attempt = 0
    while True:
        try:
            response = await session.request(
                method, url, headers=headers, data=body or None, allow_redirects=False
            )
            break
        except aiohttp.ClientConnectorError as exc:
            if attempt < retries and method in IDEMPOTENT:
                attempt += 1
                await asyncio.sleep(0.05 * attempt)
                continue
            breaker.failure()
            log.warning("upstream.unavailable", upstream=service, error_type=type(exc).__name__)
            return _problem(service, 503)
        except (TimeoutError, aiohttp.ServerTimeoutError):
            breaker.failure()
            log.warning("upstream.timeout", upstream=service)
            return _problem(service, 504)
        except aiohttp.ClientError as exc:
            breaker.failure()
            log.warning("upstream.unavailable", upstream=service, error_type=type(exc).__name__)
            return _problem(service, 503)
    breaker.success()
    raw = [
        (k.lower().encode("latin-1"), public_header(k, v, base_url).encode("latin-1"))
        for k, v in response.headers.items()
        if k.lower() not in STRIPPED_RESPONSE
    ]
    length = response.content_length
    if length is not None and length <= BUFFER_LIMIT:
        try:
            content = await response.read()
        except (TimeoutError, aiohttp.ClientError):
            response.release()
            breaker.failure()
            return _problem(service, 504)
        answer = Response(content, status_code=response.status)
        answer.raw_headers = [*raw, (b"content-length", str(len(content)).encode())]
        return answer

    async def chunks():  # type: ignore[no-untyped-def]
        async for chunk in response.content.iter_any():
            yield chunk

    streamed = StreamingResponse(
        chunks(), status_code=response.status, background=BackgroundTask(response.release)
    )
    streamed.raw_headers = raw
    return streamed
