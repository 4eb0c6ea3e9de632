"""Forwarding over the gateway's own HTTP/1.1 pool (``client.py``): the hot path.

The foundation's ``httpx`` client builds request and response models (URL parsing, header
objects, a cookie jar) for every call, and even a bare aiohttp session costs twice what this
pool does per call; a proxy needs none of that. The pool keeps keep-alive connections per
upstream, never stores cookies (a shared jar would leak one caller's cookies to the next) and
does not decompress bodies.
"""

from __future__ import annotations

import asyncio
import math

from starlette.responses import Response

from services.gateway.routing.breaker import Breaker
from services.gateway.routing.client import (
    Answer,
    UpstreamError,
    UpstreamPool,
    UpstreamTimeout,
)
from shared.logs import get_logger
from shared.problems import problem_response

#: Methods a refused connection is retried for (``upstream_retries`` times).
RETRIED = frozenset({b"GET", b"HEAD"})
log = get_logger("gateway.proxy")


def create_session(timeout_s: float, connect_timeout_s: float, limit: int = 200) -> UpstreamPool:
    """The pool forwarded requests travel over (``app.state.upstream_session``)."""
    return UpstreamPool(timeout_s, connect_timeout_s, limit=limit)


def problem(service: str, status: int, retry_after: float = 5) -> Response:
    slow = status == 504
    return problem_response(
        status,
        code="upstream-timeout" if slow else "service-unavailable",
        title="Upstream timed out" if slow else "Service unavailable",
        detail=f"the {service} service " + ("did not answer in time" if slow else "is unavailable"),
        extensions={"service": service},
        headers={"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


async def call(
    pool: UpstreamPool,
    service: str,
    base_url: str,
    method: bytes,
    target: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    *,
    breaker: Breaker,
    retries: int,
) -> Answer | Response:
    """The upstream's answer (head read, body pending), or a 503/504 problem."""
    wait = breaker.retry_after()
    if wait is not None:
        return problem(service, 503, wait)
    attempt = 0
    while True:
        try:
            answer = await pool.send(base_url, method, target, headers, body)
            break
        except UpstreamTimeout:
            breaker.failure()
            log.warning("upstream.timeout", upstream=service)
            return problem(service, 504)
        except UpstreamError as exc:
            # a refused or broken connection: retried only for reads
            if attempt < retries and method in RETRIED:
                attempt += 1
                await asyncio.sleep(0.05 * attempt)
                continue
            breaker.failure()
            log.warning("upstream.unavailable", upstream=service, error_type=type(exc).__name__)
            return problem(service, 503)
    breaker.success()
    answer.service, answer.breaker = service, breaker
    return answer
