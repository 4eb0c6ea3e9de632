"""What every response of the platform promises, as schemathesis checks."""

from __future__ import annotations

from typing import Any

from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

PROBLEM_MEMBERS = {"type", "title", "status", "request_id"}
OAUTH_TOKEN_PATH = "/oauth/token"
#: RFC 6749 errors: the token endpoint and the browser sign-out under it
OAUTH_ERROR_PATHS = {OAUTH_TOKEN_PATH, OAUTH_TOKEN_PATH + "/revoke"}
#: the browser sign-in page answers a failed sign-in with the page again (HTML, 401)
SIGN_IN_PAGE = "/oauth/authorize"


def problem_json_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx is an RFC 9457 problem document carrying its status and request id."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    media_type = content_type.split(";")[0].strip()
    if case.operation.path == SIGN_IN_PAGE and response.status_code == 401:
        assert media_type == "text/html", f"sign-in page answered with {media_type!r}"
        return None
    if case.operation.path in OAUTH_ERROR_PATHS:
        # RFC 6749 section 5.2: token errors are application/json with an ``error`` member;
        # the gateway adds the problem members to the same object
        assert media_type == "application/json", f"token error answered with {media_type!r}"
        assert "error" in response.json(), "token error without the RFC 6749 error code"
    else:
        assert media_type == "application/problem+json", (
            f"{response.status_code} answered with {content_type!r}, not application/problem+json"
        )
    body = response.json()
    assert isinstance(body, dict), "a problem document is a JSON object"
    assert body.keys() >= PROBLEM_MEMBERS, "problem members missing"
    assert body["status"] == response.status_code, "problem status differs from the HTTP status"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXTRA_CHECKS = [problem_json_errors]
