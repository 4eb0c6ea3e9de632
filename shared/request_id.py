"""Request ids: ``X-Request-ID`` is kept only when it is a UUID, otherwise one is generated.

Pure ASGI middleware (not ``BaseHTTPMiddleware``), so the id it binds in contextvars is seen
by every log line of the request and by the error handlers.
"""

from __future__ import annotations

import contextvars
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import get_logger

HEADER = "x-request-id"
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
log = get_logger("access")


def current_request_id() -> str | None:
    return _current.get()


def bind_request_id(request_id: str) -> contextvars.Token[str | None]:
    """Make ``request_id`` the current one (problem documents, every log line); returns the
    token ``unbind_request_id`` takes."""
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return _current.set(request_id)


def unbind_request_id(token: contextvars.Token[str | None]) -> None:
    structlog.contextvars.unbind_contextvars("request_id")
    _current.reset(token)


def parse_request_id(value: str | None) -> str | None:
    """The canonical form of ``value`` if it is a UUID, else ``None``."""
    if not value or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        request_id = parse_request_id(raw) or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        token = bind_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            log.info(
                "http.request",
                method=scope["method"],
                route=getattr(route, "path", "<unmatched>"),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            unbind_request_id(token)
