"""No route of the merged API is served without authentication, unless it is meant to be.

Every operation the gateway documents as secured refuses a request without a token, and one
with a forged token, with a 401 problem; the operations documented as public are exactly the
ones the policy names public (a new route cannot quietly become public).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fuzz.conftest import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
METHODS = ("get", "put", "post", "patch", "delete")
PUBLIC_OPERATIONS = {
    "GET /healthz",
    "GET /readyz",
    "GET /.well-known/jwks.json",
    "GET /.well-known/oauth-authorization-server",
    "POST /oauth/token",
    "GET /oauth/authorize",
    "POST /oauth/authorize",
    "GET /oauth/federated/callback",
    "POST /oauth/token/revoke",
    "POST /v1/auth/login",
    "POST /v1/auth/refresh",
    "POST /v1/auth/logout",
}
SAMPLE_PATH_VALUES = {"agency": "council", "kind": "client", "code": "CSC01"}
FORGED = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJkZW1vLmFkbWluIiwicm9sZXMiOlsiYWRtaW4iXX0."


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def _concrete(path: str) -> str:
    parts = []
    for part in path.split("/"):
        if part.startswith("{"):
            part = SAMPLE_PATH_VALUES.get(part.strip("{}"), "1")
        parts.append(part)
    return "/".join(parts)


def test_public_operations_are_exactly_the_intended_ones(merged_openapi: dict[str, Any]) -> None:
    public = {f"{m} {p}" for m, p, op in _operations(merged_openapi) if not op.get("security")}
    assert public == PUBLIC_OPERATIONS


@pytest.mark.parametrize("token", [None, FORGED], ids=["no-token", "forged-token"])
def test_every_secured_operation_refuses_an_unauthenticated_request(
    platform: Platform, merged_openapi: dict[str, Any], token: str | None
) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    served = []
    with httpx.Client(base_url=platform.gateway, timeout=30) as client:
        for method, path, op in _operations(merged_openapi):
            if not op.get("security"):
                continue
            json_body = {} if method in ("POST", "PUT", "PATCH") else None
            response = client.request(method, _concrete(path), headers=headers, json=json_body)
            if response.status_code != 401:
                served.append(f"{method} {path} -> {response.status_code}")
                continue
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
            assert response.json()["status"] == 401
    assert served == []
    assert len(_operations(merged_openapi)) > 90  # every service's routes were merged
