"""The gateway's hot path: ``/v1/<resource of a service>`` answered by one ASGI layer.

A forwarded request used to pass nine wrappers (server errors, FastAPI's telemetry and body
limit, request id, metrics, security headers, the token endpoint's error shape, path guard,
body cap, last resort), each wrapping ``send`` again, before the forwarder ran. This layer
sits outside them all and, for the requests it takes, does what each of them did, in the
same order, on the raw ASGI scope (headers read once):

1. request id (``shared.request_id``): a UUID ``X-Request-ID`` kept, else a new one; bound for
   log lines and problem documents; echoed on the answer;
2. one spelling of the path (``paths.refusal``) → 400, body cap (declared or streamed) → 413;
3. token (401), caller's rate limit (429), policy (403) — ``router.admit``;
4. internal token (cached per caller and service), forwarding (``upstream.call``);
5. security headers on the answer, metrics per route template, the access log line;
6. any unexpected exception → 500 problem (when nothing was sent yet).

Every other request (and ``OPTIONS``) goes down the full stack unchanged.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.config import GatewaySettings
from services.gateway.deps import authenticate
from services.gateway.edges import BodyLimits, body_too_large, cors_options
from services.gateway.routing.paths import forward_path, refusal
from services.gateway.routing.proxy import (
    STRIPPED_PREFIXES,
    STRIPPED_REQUEST,
    STRIPPED_RESPONSE,
    public_header,
)
from services.gateway.routing.router import METHODS, admit, proxy_route
from services.gateway.routing.table import owner_of
from services.gateway.routing.upstream import (
    BUFFER_LIMIT,
    Answer,
    UpstreamError,
    UpstreamTimeout,
    call,
    problem,
)
from shared.logs import get_logger
from shared.metrics import Metrics
from shared.problems import DomainError, internal_error, problem_response
from shared.request_id import bind_request_id, parse_request_id, unbind_request_id
from shared.web import SECURITY_HEADERS

_METHODS = frozenset(METHODS) | {"HEAD"}  # HEAD forwarded as GET is permitted
_STRIPPED = frozenset(h.encode("latin-1") for h in STRIPPED_REQUEST) | {b"expect"}
_PREFIXES = tuple(p.encode("latin-1") for p in STRIPPED_PREFIXES)
_STRIPPED_RESPONSE = frozenset(h.encode("latin-1") for h in STRIPPED_RESPONSE) | {b"x-request-id"}
access_log = get_logger("access")
log = get_logger("gateway.proxy")


class _TooLarge(Exception):
    pass


class HotPath:
    """Outermost layer of the gateway: forwarded requests here, the rest to ``app``."""

    def __init__(self, app: ASGIApp, settings: GatewaySettings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self.route = proxy_route()
        self.upstreams = settings.upstreams()
        self.limits = BodyLimits.of(settings)
        self._observers: dict[tuple[str, int], tuple[Any, Any]] = {}
        self.log_all = settings.access_log_forwarded == "all"
        self.forwarded: ASGIApp = self._forward
        if settings.effective_cors_origins():
            self.forwarded = CORSMiddleware(
                self._forward, **cors_options(settings.effective_cors_origins())
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in _METHODS
            and owner_of(scope["path"]) is not None
        ):
            await self.forwarded(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        authorization = request_id = declared = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is None:
                    authorization = value
            elif name == b"x-request-id":
                request_id = value
            elif name == b"content-length":
                declared = value
        rid = parse_request_id(request_id.decode("latin-1") if request_id else None)
        rid = rid or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = rid
        scope["route"] = self.route
        token = bind_request_id(rid)
        rid_header = (b"x-request-id", rid.encode("latin-1"))
        status = 500
        sent = False

        async def send_plain(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                sent = True
            await send(message)

        async def send_marked(message: Message) -> None:
            """For answers built as Starlette responses (problems, the test transport)."""
            if message["type"] == "http.response.start":
                message["headers"] = _finish_headers(message.get("headers", []), rid_header)
            await send_plain(message)

        try:
            answer = await self._answer(scope, receive, authorization, declared)
            response = (
                await self._relay(answer, send_plain, rid_header)
                if isinstance(answer, Answer)
                else answer
            )
            if response is not None:
                await response(scope, receive, send_marked)
        except Exception as exc:
            log.error(
                "unhandled.exception",
                error_type=type(exc).__name__,
                path=scope.get("path", ""),
                exc_info=exc,
            )
            if sent:
                raise
            await internal_error()(scope, receive, send_marked)
        finally:
            self._observe(scope["method"], status, time.perf_counter() - started)
            unbind_request_id(token)

    async def _answer(
        self, scope: Scope, receive: Receive, authorization: bytes | None, declared: bytes | None
    ) -> Response | Answer:
        path = scope["path"]
        why = refusal(scope)
        if why is not None:
            return problem_response(
                400, code="path-not-canonical", title="Path not canonical", detail=why
            )
        limit, setting = self.limits.for_path(path)
        body: bytes | None = None
        try:
            if declared is not None:
                try:
                    if int(declared) > limit:
                        raise _TooLarge
                except ValueError as exc:
                    raise _TooLarge from exc
            else:  # no declared length (chunked): read up to the cap before anything else
                body = await _read_body(receive, limit)
        except _TooLarge:
            return body_too_large(limit, setting)
        service = owner_of(path)
        assert service is not None
        request = Request(scope, receive)
        try:
            principal = await authenticate(
                request, authorization.decode("latin-1") if authorization is not None else None
            )
            await admit(request, principal)
        except DomainError as exc:
            return problem_response(
                exc.status,
                code=exc.code,
                title=exc.title,
                detail=exc.detail,
                instance=path,
                headers=exc.headers,
            )
        state = scope["app"].state
        minter = state.internal_tokens
        if not self.settings.forwarding_enabled or minter is None:
            return problem_response(
                503,
                code="forwarding-disabled",
                title="Forwarding disabled",
                detail="the gateway is not configured to forward requests",
            )
        internal = "Bearer " + minter.token_for(principal.caller, service)
        session = state.upstream_session  # opened at start-up (main.open_client)
        breaker = state.breakers[service]
        retries = self.settings.upstream_retries
        if body is None:
            body = await _read_body(receive, None)
        # as sent, repeated headers kept in order
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope["headers"]
            if name not in _STRIPPED and not name.startswith(_PREFIXES)
        ]
        headers.append(("x-request-id", scope["state"]["request_id"]))
        headers.append(("x-forwarded-for", state.client_address.of(scope)))
        headers.append(("authorization", internal))
        target = forward_path(scope)
        query = scope.get("query_string", b"")
        if query:
            target += "?" + query.decode("latin-1")
        return await call(
            session,
            service,
            self.upstreams[service],
            scope["method"],
            target,
            headers,
            body,
            breaker=breaker,
            retries=retries,
        )

    async def _relay(
        self, answer: Answer, send: Send, rid_header: tuple[bytes, bytes]
    ) -> Response | None:
        """Send the upstream's answer; a problem instead when it broke off before its head
        could be sent (a whole answer is read before anything is sent)."""
        base_url = self.upstreams[answer.service]
        headers = [
            (k, _public(k, v, base_url)) for k, v in answer.headers if k not in _STRIPPED_RESPONSE
        ]
        length = answer.content_length
        if answer.head:  # no body follows; the length stays the one a GET would have
            await answer.read()
            if length is not None:
                headers.append((b"content-length", str(length).encode("latin-1")))
            await send(
                {
                    "type": "http.response.start",
                    "status": answer.status,
                    "headers": _finish_headers(headers, rid_header),
                }
            )
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return None
        if length is not None and length <= BUFFER_LIMIT:
            try:
                content = await answer.read()
            except UpstreamError as exc:
                answer.breaker.failure()
                slow = isinstance(exc, UpstreamTimeout)
                log.warning(
                    "upstream.broke_off", upstream=answer.service, error_type=type(exc).__name__
                )
                return problem(answer.service, 504 if slow else 503)
            headers.append((b"content-length", str(len(content)).encode("latin-1")))
            await send(
                {
                    "type": "http.response.start",
                    "status": answer.status,
                    "headers": _finish_headers(headers, rid_header),
                }
            )
            await send({"type": "http.response.body", "body": content, "more_body": False})
            return None
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": _finish_headers(headers, rid_header),
            }
        )
        async for chunk in answer.stream():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return None

    def _observe(self, method: str, status: int, seconds: float) -> None:
        key = (method, status)
        observers = self._observers.get(key)
        if observers is None:
            m = self.metrics
            route = self.route.path
            observers = self._observers[key] = (
                m.requests.labels(m.service, method, route, str(status)),
                m.latency.labels(m.service, method, route),
            )
        observers[0].inc()
        observers[1].observe(seconds)
        if status < 400 and not self.log_all:
            return  # the owning service logs it, with the same request id
        access_log.info(
            "http.request",
            method=method,
            route=self.route.path,
            status=status,
            duration_ms=round(seconds * 1000, 2),
        )


def _public(name: bytes, value: bytes, base_url: str) -> bytes:
    """A ``Location`` on the upstream's own address answered at the gateway's (issue 18)."""
    if name != b"location":
        return value
    return public_header("location", value.decode("latin-1"), base_url).encode("latin-1")


def _finish_headers(
    headers: list[tuple[bytes, bytes]], rid_header: tuple[bytes, bytes]
) -> list[tuple[bytes, bytes]]:
    """What ``SecurityHeadersMiddleware`` and ``RequestIdMiddleware`` add to every answer."""
    present = {k.lower() for k, _ in headers}
    out = [(k, v) for k, v in headers if k.lower() not in (b"server", b"x-request-id")]
    for key, value in SECURITY_HEADERS:
        if key not in present:
            out.append((key, value))
    out.append(rid_header)
    return out


async def _read_body(receive: Receive, limit: int | None) -> bytes:
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        seen += len(chunk)
        if limit is not None and seen > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
