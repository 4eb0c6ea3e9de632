"""RFC 9457 problem details for every error a service returns.

Domain code raises :class:`DomainError` subclasses; this module renders them, Starlette's
HTTP errors (404, 405, ...), request validation errors (422 naming each field, never echoing
the submitted value) and, last of all, any unexpected exception as a 500 with no traceback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import get_logger
from shared.request_id import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://improvement-platform.example/problems/"
log = get_logger("problems")


class ProblemFieldError(BaseModel):
    """One invalid field of a request: where it is and what is wrong (never its value)."""

    field: str = Field(description="dotted path of the field, e.g. `rows.3.value`")
    in_: str = Field(alias="in", description="`body`, `query`, `path` or `header`")
    message: str = Field(description="what is wrong, in words")
    code: str | None = Field(None, description="machine-readable kind, e.g. `missing`")


def _problem_example(schema: dict[str, Any], model: type) -> None:
    """Problem's own example (subclasses, with members of their own, give theirs)."""
    if model is Problem:
        schema["examples"] = [VALIDATION_EXAMPLE]


VALIDATION_EXAMPLE: dict[str, Any] = {
    "type": "https://improvement-platform.example/problems/validation-error",
    "title": "Request validation failed",
    "status": 422,
    "detail": "One or more fields are invalid.",
    "instance": "/v1/actions",
    "errors": [
        {
            "field": "title",
            "in": "body",
            "message": "Field required",
            "code": "missing",
        }
    ],
    "request_id": "6f1c2a4e-8b0d-4c3e-9a57-2d8e1f0b3c4a",
}


class Problem(BaseModel):
    """An RFC 9457 problem document (members beyond these are extensions)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_problem_example)
    type: str = Field(description="URI naming the kind of problem")
    title: str = Field(description="short summary of the kind of problem")
    status: int = Field(description="the HTTP status code")
    detail: str | None = Field(None, description="what went wrong this time")
    instance: str | None = Field(None, description="the path the problem occurred at")
    request_id: str | None = Field(None, description="quote it when reporting the problem")
    errors: list[ProblemFieldError] | None = Field(
        None, description="each invalid field (validation errors and invalid input)"
    )


class DomainError(Exception):
    """Base of every error a service's rules raise. Rendered as problem+json."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        extensions: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = dict(extensions or {})
        self.headers = dict(headers or {})


class NotFound(DomainError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, code, title = 409, "conflict", "Conflict"


class Forbidden(DomainError):
    status, code, title = 403, "forbidden", "Forbidden"


class Unauthorized(DomainError):
    status, code, title = 401, "unauthorized", "Authentication required"


class InvalidInput(DomainError):
    status, code, title = 422, "invalid-input", "Invalid input"


class PreconditionFailed(DomainError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class PreconditionRequired(DomainError):
    status, code, title = 428, "precondition-required", "Precondition required"


class ServiceUnavailable(DomainError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


def field_error(
    field: str, message: str, code: str = "invalid", where: str = "body"
) -> dict[str, str]:
    """One entry of a problem's ``errors``: which field, where, what is wrong and its kind
    (never the submitted value)."""
    return {"field": field, "in": where, "message": message, "code": code}


def invalid(
    field: str,
    message: str,
    code: str = "invalid",
    where: str = "body",
    *,
    detail: str | None = None,
) -> InvalidInput:
    """A 422 naming one field; ``detail`` defaults to the message."""
    return InvalidInput(
        detail or message, extensions={"errors": [field_error(field, message, code, where)]}
    )


def conflict(field: str, message: str, code: str, where: str = "body", **extra: Any) -> Conflict:
    """A 409 naming the field whose value collides (extensions in ``extra``)."""
    return Conflict(
        message, extensions={"errors": [field_error(field, message, code, where)], **extra}
    )


def problem_response(
    status: int,
    *,
    code: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    extensions: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    phrase = _phrase(status)
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions or {})
    body["request_id"] = current_request_id()
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {})
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Each error's location and message, without the submitted input."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        out.append(
            {
                "field": ".".join(loc[1:] if len(loc) > 1 else loc),
                "in": loc[0] if loc else "body",
                "message": str(err.get("msg", "invalid")),
                "code": str(err.get("type", "invalid")),
            }
        )
    return out


async def _domain_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        instance=request.url.path,
        extensions=exc.extensions,
        headers=exc.headers,
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail: str | None = exc.detail if isinstance(exc.detail, str) else None
    if detail == _phrase(exc.status_code):
        detail = None
    return problem_response(
        exc.status_code,
        detail=detail,
        instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        422,
        code="validation-error",
        title="Request validation failed",
        detail="One or more fields are invalid.",
        instance=request.url.path,
        extensions={"errors": validation_errors(exc.errors())},
    )


def internal_error() -> JSONResponse:
    """The one 500 problem: no traceback, no internals, the request id to quote."""
    return problem_response(
        500,
        code="internal-error",
        title="Internal server error",
        detail="An unexpected error occurred; quote the request id when reporting it.",
    )


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled.exception", error_type=type(exc).__name__, path=request.url.path)
    return internal_error()


class LastResortMiddleware:
    """Turns an exception no handler took into a 500 problem, inside the request-id scope
    (so the answer carries the id) and without a traceback in the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unhandled.exception",
                error_type=type(exc).__name__,
                path=scope.get("path", ""),
                exc_info=exc,
            )
            if started:
                raise
            await internal_error()(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


def problem_doc(model: type[Problem], description: str) -> dict[str, Any]:
    """A ``responses=`` entry documenting a :class:`Problem` subclass as problem+json: that
    problem, or (the same status sent for another reason, say invalid input) a plain one."""
    ref = "#/components/schemas/"
    schema = {"anyOf": [{"$ref": ref + model.__name__}, {"$ref": ref + "Problem"}]}
    return {
        "model": model,
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
    }


#: For ``responses=`` in route declarations so OpenAPI documents the problem shape.
#: ``model`` registers the Problem schema; the problem media type (what is actually sent)
#: names it too, so clients and schema-driven tests validate errors against it.
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": Problem, "content": _PROBLEM_CONTENT, "description": "Problem"},
    "5XX": {"model": Problem, "content": _PROBLEM_CONTENT, "description": "Problem"},
}
