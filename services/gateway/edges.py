"""The gateway's edge: one spelling per path, request body caps per route (submissions and
imports larger) and CORS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.gateway.routing.paths import refusal
from shared.problems import problem_response

if TYPE_CHECKING:
    from services.gateway.config import GatewaySettings

#: The header a cookie-authenticated refresh must carry (CSRF: services/gateway/signin).
CSRF_HEADER = "x-platform-csrf"
CORS_HEADERS = [
    "authorization",
    "content-type",
    "if-match",
    "idempotency-key",
    "x-request-id",
    CSRF_HEADER,
]
CORS_EXPOSE = ["etag", "location", "retry-after", "x-request-id"]


TOKEN_PATH = "/oauth/token"
#: Where the refresh cookie goes (its path is the token path): the token endpoint and the
#: browser sign-out under it.
COOKIE_PATHS = frozenset({TOKEN_PATH, TOKEN_PATH + "/revoke"})


def oauth_error_code(status: int) -> str:
    """The RFC 6749 ``error`` of a refusal the token endpoint's own code did not write."""
    if status in (429, 503):
        return "temporarily_unavailable"
    return "server_error" if status >= 500 else "invalid_request"


class OAuthErrorsMiddleware:
    """Every error of ``POST /oauth/token`` stays RFC 6749 JSON (``error``,
    ``error_description``) with the request id, whichever layer refused it: a problem
    document from the rate limit, the body cap or the last resort becomes
    ``application/json`` with the RFC 6749 members added beside the problem members."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in COOKIE_PATHS:
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                sent = dict(message.get("headers", []))
                if sent.get(b"content-type", b"").startswith(b"application/problem+json"):
                    start = message  # held until the whole problem document is read
                    return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = json.loads(b"".join(chunks))
            body = {
                "error": oauth_error_code(start["status"]),
                "error_description": body.get("detail") or body.get("title"),
            } | body
            content = json.dumps(body).encode()
            headers: list[tuple[bytes, bytes]] = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-type", b"content-length")
            ]
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": content, "more_body": False})

        await self.app(scope, receive, rewrite)


class PathGuardMiddleware:
    """400 problem for a path with more than one spelling (dot segments, encoded slashes or
    dots, ``//``, backslashes): every later layer judges the path that is forwarded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            why = refusal(scope)
            if why is not None:
                response = problem_response(
                    400, code="path-not-canonical", title="Path not canonical", detail=why
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class BodyLimits:
    """The largest request body per route: ``/v1/imports`` (uploads), ``/v1/submissions`` (a
    partner's batch, JSON or CSV: room for kpis's maximum rows), every other route."""

    default: int
    submissions: int
    imports: int

    @classmethod
    def of(cls, settings: GatewaySettings) -> BodyLimits:
        return cls(
            default=settings.body_limit_bytes,
            submissions=settings.submission_body_limit_bytes,
            imports=settings.import_body_limit_bytes,
        )

    def for_path(self, path: str) -> tuple[int, str]:
        """The cap of ``path`` and the setting that holds it."""
        if path == "/v1/imports" or path.startswith("/v1/imports/"):
            return self.imports, "GATEWAY_IMPORT_BODY_LIMIT_BYTES"
        if path == "/v1/submissions":
            return self.submissions, "GATEWAY_SUBMISSION_BODY_LIMIT_BYTES"
        return self.default, "GATEWAY_BODY_LIMIT_BYTES"


def body_too_large(limit: int, setting: str) -> JSONResponse:
    """The 413 problem: the route's limit stated in the detail and as ``limit_bytes``."""
    return problem_response(
        413,
        code="body-too-large",
        title="Request body too large",
        detail=f"the body of this route may hold at most {limit:,} bytes ({setting})",
        extensions={"limit_bytes": limit},
    )


class BodyLimitMiddleware:
    """413 problem when a body is larger than the route's cap (declared or streamed)."""

    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limits.for_path(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = True
            if too_big:
                await body_too_large(limit, setting)(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the server enforces the declared length
            return
        # no declared length (chunked): read up to the cap first, then replay
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                await body_too_large(limit, setting)(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def cors_options(origins: tuple[str, ...], *, credentials: bool = False) -> dict[str, Any]:
    """Exact origins only (never ``*``). Credentials (cookies) only where asked: the token
    endpoint, so that a front end on an allowed origin can have the refresh cookie set and
    sent (``fetch(..., {credentials: "include"})``); the endpoint checks the origin and the
    CSRF header itself (``services/gateway/signin``)."""
    return {
        "allow_origins": list(origins),
        "allow_methods": ["GET", "POST", "PUT", "PATCH", "DELETE"],
        "allow_headers": CORS_HEADERS,
        "expose_headers": CORS_EXPOSE,
        "allow_credentials": credentials,
        "max_age": 600,
    }


class CORSByPath:
    """CORS for the full stack: credentials allowed on the token endpoint and the sign-out
    under it only (the refresh cookie's path); every other route answers without
    ``Access-Control-Allow-Credentials`` (bearer tokens need none)."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.plain = CORSMiddleware(app, **cors_options(origins))
        self.cookie = CORSMiddleware(app, **cors_options(origins, credentials=True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in COOKIE_PATHS:
            await self.cookie(scope, receive, send)
        else:
            await self.plain(scope, receive, send)


__all__ = [
    "BodyLimitMiddleware",
    "CORSByPath",
    "CORSMiddleware",
    "OAuthErrorsMiddleware",
    "PathGuardMiddleware",
    "cors_options",
]
