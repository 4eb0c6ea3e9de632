"""Forwarding over an ``aiohttp.ClientSession``: the hot path's client.

A well-kept client rather than an own one (the gateway is security-critical: HTTP parsing,
framing and connection reuse stay aiohttp's). The session keeps a pool of keep-alive
connections per upstream, never stores cookies (a shared jar would leak one caller's cookies
to the next), does not decompress bodies and sends no User-Agent of its own. aiohttp itself
retries once, on a fresh connection, an idempotent request whose reused connection the
server had closed meanwhile (RFC 9112 §9.3.1); a refused connection is retried here
(``upstream_retries``) for reads only.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import aiohttp
from starlette.responses import Response
from yarl import URL

from services.gateway.routing.breaker import Breaker
from shared.logs import get_logger
from shared.problems import problem_response

#: Answers up to this size are read whole and sent with their length; larger ones stream.
BUFFER_LIMIT = 1_000_000
#: Methods a refused connection is retried for (``upstream_retries`` times).
RETRIED = frozenset({"GET", "HEAD"})
log = get_logger("gateway.proxy")


class UpstreamError(Exception):
    """The upstream broke off while its answer was read (→ 503)."""


class UpstreamTimeout(UpstreamError):
    """Reading the answer took longer than allowed (→ 504)."""


def create_session(
    timeout_s: float,
    connect_timeout_s: float,
    limit: int = 200,
    trace_configs: list[aiohttp.TraceConfig] | None = None,
) -> aiohttp.ClientSession:
    """The session forwarded requests travel over (``app.state.upstream_session``);
    ``trace_configs``: OpenTelemetry's client spans when tracing is on (``shared.tracing``)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, limit_per_host=limit, keepalive_timeout=4),
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
        trace_configs=trace_configs or None,
    )


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


class Answer:
    """A response head; the body through ``read`` or ``stream`` (exactly one of them)."""

    def __init__(self, response: aiohttp.ClientResponse, service: str, breaker: Breaker) -> None:
        self._response = response
        self.status = response.status
        # as received, repeated headers kept in order; names lower-cased as ASGI wants
        self.headers = [(k.lower(), v) for k, v in response.raw_headers]
        self.content_length = response.content_length
        self.head = response.method == "HEAD"  # no body follows
        self.service = service  # which service answered, for the caller's problem documents
        self.breaker = breaker  # the caller's circuit breaker for that service

    async def read(self) -> bytes:
        try:
            return await self._response.read()
        except TimeoutError as exc:
            self._response.close()
            raise UpstreamTimeout("no answer in time") from exc
        except aiohttp.ClientError as exc:
            self._response.close()
            raise UpstreamError(type(exc).__name__) from exc
        finally:
            self._response.release()

    async def stream(self) -> AsyncIterator[bytes]:
        """The body as it arrives (aiohttp pauses reading while too much waits unsent)."""
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except BaseException:
            self._response.close()
            raise
        finally:
            self._response.release()


async def call(
    session: aiohttp.ClientSession,
    service: str,
    base_url: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes,
    *,
    breaker: Breaker,
    retries: int,
) -> Answer | Response:
    """The upstream's answer (head read, body pending), or a 503/504 problem.

    ``target``: the raw path and query the policy judged; ``encoded=True``: yarl neither
    requotes nor normalises it."""
    wait = breaker.retry_after()
    if wait is not None:
        return problem(service, 503, wait)
    url = URL(base_url.rstrip("/") + target, encoded=True)
    attempt = 0
    while True:
        try:
            response = await session.request(
                method, url, headers=headers, data=body or None, allow_redirects=False
            )
            break
        except TimeoutError:
            breaker.failure()
            log.warning("upstream.timeout", upstream=service)
            return problem(service, 504)
        except aiohttp.ClientConnectorError as exc:
            # a refused connection: retried only for reads
            if attempt < retries and method in RETRIED:
                attempt += 1
                await asyncio.sleep(0.05 * attempt)
                continue
            breaker.failure()
            log.warning("upstream.unavailable", upstream=service, error_type=type(exc).__name__)
            return problem(service, 503)
        except aiohttp.ClientError as exc:
            breaker.failure()
            log.warning("upstream.unavailable", upstream=service, error_type=type(exc).__name__)
            return problem(service, 503)
    breaker.success()
    return Answer(response, service, breaker)
