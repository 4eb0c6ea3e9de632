"""A1, Z3: one policy (read from shared/rights.py); every served route is covered by it or on
the public list. Z6, the services agreeing with it, is tests/gateway/test_rights_agree.py."""

from __future__ import annotations

from typing import Any

import pytest

from services.actions.config import ActionsSettings
from services.actions.main import create_app as actions_app
from services.audit.config import AuditSettings
from services.audit.main import create_app as audit_app
from services.gateway import policy
from services.gateway.main import create_app as gateway_app
from services.gateway.routing.table import ROUTE_TABLE, owner_of
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from shared.identity import Caller
from tests.gateway.conftest import gateway_settings

METHODS = ("get", "post", "put", "patch", "delete")


def _operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    ops = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                ops.append((method.upper(), path))
    return ops


def _concrete(template: str) -> str:
    """``/v1/values/{value_id}/approve`` → ``/v1/values/x1/approve``."""
    return "/".join("x1" if p.startswith("{") else p for p in template.split("/"))


def _documents() -> dict[str, dict[str, Any]]:
    return {
        "gateway": gateway_app(gateway_settings()).openapi(),
        "actions": actions_app(ActionsSettings(profile="test")).openapi(),
        "kpis": kpis_app(KpisSettings(profile="test")).openapi(),
        "audit": audit_app(AuditSettings(profile="test")).openapi(),
    }


def test_a1_every_served_route_is_covered_by_the_policy_or_public() -> None:
    uncovered = []
    for service, doc in _documents().items():
        for method, path in _operations(doc):
            permission = policy.required_permission(method, _concrete(path))
            if permission is None:
                uncovered.append(f"{service}: {method} {path}")
            if service != "gateway" and path.startswith("/v1/"):
                # a service route must be reachable through the gateway: its owner is that service
                assert owner_of(_concrete(path)) == service, f"{service}: {path} not routed"
    assert uncovered == [], "routes with no policy entry: " + ", ".join(uncovered)


def test_a1_only_the_listed_routes_are_public() -> None:
    public = set()
    for service, doc in _documents().items():
        for method, path in _operations(doc):
            if policy.required_permission(method, _concrete(path)) == policy.PUBLIC:
                public.add(path)
                assert not path.startswith("/v1/") or path.startswith("/v1/auth/"), (service, path)
    assert public <= policy.PUBLIC_PATHS | {
        "/oauth/token",
        "/oauth/authorize",
        "/oauth/federated/callback",
        "/oauth/token/revoke",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/logout",
    }


def test_a1_every_non_public_service_route_demands_the_internal_token() -> None:
    """Each /v1 operation (services: CallerDep; gateway: the access-token dependency) declares
    bearer security in its OpenAPI document, unless the policy lists it as public."""
    missing = []
    for service, doc in _documents().items():
        for path, item in doc["paths"].items():
            for method in METHODS:
                op = item.get(method)
                if op is None or op.get("security"):
                    continue
                public = policy.required_permission(method.upper(), _concrete(path))
                if path.startswith("/v1/") and public != policy.PUBLIC:
                    missing.append(f"{service}: {method.upper()} {path}")
    assert missing == []


def test_unknown_route_is_denied_by_default() -> None:
    assert policy.required_permission("GET", "/v1/secret-new-thing") is None
    assert policy.required_permission("POST", "/admin") is None
    assert policy.required_permission("OPTIONS", "/v1/actions") is None


def _person(roles: tuple[str, ...], agency: str = "council") -> Caller:
    return Caller(subject="p", agency=agency, roles=frozenset(roles), kind="user")


def _machine(scopes: tuple[str, ...], agency: str = "council") -> Caller:
    return Caller(
        subject="c", agency=agency, scopes=frozenset(scopes), client_id="c", kind="client"
    )


# (method, path, who may, who may not)
MATRIX = [
    (
        "GET",
        "/v1/actions",
        [_person(("viewer",)), _machine(("actions:read",))],
        [_machine(("kpis:read",))],
    ),
    (
        "POST",
        "/v1/actions",
        [_person(("plan_manager",)), _machine(("admin",))],
        [_person(("contributor",)), _person(("viewer",)), _machine(("actions:write",))],
    ),
    (
        "POST",
        "/v1/actions/x1/updates",
        [_person(("contributor",)), _machine(("actions:write",))],
        [_person(("viewer",)), _person(("auditor",)), _machine(("actions:read",))],
    ),
    (
        "POST",
        "/v1/actions/x1/status",
        [_person(("contributor",)), _person(("auditor",)), _machine(("actions:write",))],
        [_person(("viewer",)), _machine(("actions:read",))],
    ),
    (
        "POST",
        "/v1/org-units",
        [_person(("plan_manager",)), _person(("admin",))],
        [_person(("approver",)), _person(("contributor",)), _machine(("kpis:approve",))],
    ),
    (
        "PUT",
        "/v1/targets",
        [_person(("plan_manager",))],
        [_person(("contributor",)), _machine(("kpis:submit",))],
    ),
    (
        "POST",
        "/v1/indicators",
        [_person(("plan_manager",)), _person(("approver",)), _machine(("kpis:approve",))],
        [_person(("contributor",)), _person(("auditor",)), _machine(("kpis:submit",))],
    ),
    (
        "POST",
        "/v1/audits/x1/moderate",
        [_person(("approver",)), _person(("auditor",)), _machine(("audit:write",))],
        [_person(("contributor",)), _machine(("audit:read",))],
    ),
    (
        "POST",
        "/v1/submissions",
        [_person(("contributor",)), _machine(("kpis:submit",))],
        [_person(("viewer",)), _machine(("kpis:read",))],
    ),
    (
        "POST",
        "/v1/values/x1/approve",
        [_person(("approver",)), _machine(("kpis:approve",))],
        [_person(("contributor",)), _machine(("kpis:submit",))],
    ),
    (
        "POST",
        "/v1/releases",
        [_person(("approver",)), _machine(("kpis:approve",))],
        [_person(("contributor",))],
    ),
    (
        "POST",
        "/v1/imports",
        [_person(("plan_manager",)), _machine(("kpis:import",))],
        [_person(("viewer",)), _machine(("kpis:submit",))],
    ),
    (
        "GET",
        "/v1/trail",
        [_person(("auditor",)), _machine(("trail:read",))],
        [_person(("viewer",)), _machine(("trail:append",))],
    ),
    (
        "POST",
        "/v1/trail/events",
        [_machine(("trail:append",))],
        [_person(("admin",)), _machine(("trail:read",))],
    ),
    (
        "GET",
        "/v1/audits",
        [_person(("auditor",)), _person(("viewer",)), _machine(("audit:read",))],
        [_machine(("actions:read",)), _machine(("trail:read",))],
    ),
    (
        "POST",
        "/v1/findings",
        [_person(("auditor",)), _machine(("audit:write",))],
        [_person(("contributor",)), _machine(("audit:read",))],
    ),
    (
        "POST",
        "/v1/clients",
        [_person(("admin",)), _machine(("admin",))],
        [_person(("admin",), "police"), _machine(("admin",), "ccg"), _person(("plan_manager",))],
    ),
]


@pytest.mark.parametrize(("method", "path", "allowed", "denied"), MATRIX)
def test_z3_role_and_scope_to_operation(
    method: str, path: str, allowed: list[Caller], denied: list[Caller]
) -> None:
    permission = policy.required_permission(method, path)
    assert permission is not None
    for caller in allowed:
        assert policy.allows(caller, permission), (caller, method, path)
    for caller in denied:
        assert not policy.allows(caller, permission), (caller, method, path)


def test_every_resource_has_read_and_write_rules() -> None:
    for resource in ROUTE_TABLE:
        assert policy.required_permission("GET", f"/v1/{resource}") is not None
        assert policy.required_permission("POST", f"/v1/{resource}/x1") is not None


def test_roles_and_scopes_are_the_documented_ones() -> None:
    assert set(policy.ROLE_PERMISSIONS) == policy.ROLES
    assert set(policy.SCOPE_PERMISSIONS) == policy.SCOPES
    assert "trail:append" not in policy.ROLE_PERMISSIONS["admin"]
