"""The authorisation policy: who may call which operation. Deny by default.

Function-level rights, from the one statement in ``shared/rights.py`` that the services read
too. Each request's method and path resolve to one *permission* by the first matching rule
(the statement's specific rules, then its default per owning service and method class); a
caller holds permissions through its roles (people) or scopes (machine clients). No rule →
403. Object-level decisions (agency, owner, publication state) belong to the services.

A test (``tests/gateway/test_policy_coverage.py``) builds every service's OpenAPI document
and fails when a served route is neither covered here nor on the public list.
"""

from __future__ import annotations

import re
from functools import lru_cache

from services.gateway.routing.table import ROUTE_TABLE
from shared.identity import Caller
from shared.rights import (
    ADMIN_AGENCY,
    ALL,
    AUTHENTICATED,
    OPERATION_RULES,
    PUBLIC,
    READ,
    ROLE_PERMISSIONS,
    ROLES,
    SCOPE_PERMISSIONS,
    SCOPES,
    SERVICE_DEFAULTS,
    WRITE,
    Rule,
    granted,
)

__all__ = [
    "ADMIN_AGENCY",
    "ALL",
    "AUTHENTICATED",
    "PUBLIC",
    "READ",
    "ROLES",
    "ROLE_PERMISSIONS",
    "SCOPES",
    "SCOPE_PERMISSIONS",
    "WRITE",
    "Rule",
    "allows",
    "permissions_of",
    "required_permission",
]


def _rules() -> list[Rule]:
    """The statement's specific rules, then each routed resource's service defaults."""
    generic = []
    for resource, service in ROUTE_TABLE.items():
        read, write = SERVICE_DEFAULTS[service]
        generic.append(Rule(f"/v1/{resource}/**", READ, read))
        generic.append(Rule(f"/v1/{resource}/**", WRITE, write))
    return [*OPERATION_RULES, *generic]


RULES: list[Rule] = _rules()

#: Routes served without a token (besides PUBLIC rules): health, metrics, keys, metadata, docs.
PUBLIC_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    }
)


def _compile(pattern: str) -> re.Pattern[str]:
    rest = pattern.endswith("/**")
    base = pattern[:-3] if rest else pattern
    body = "/".join("[^/]+" if part == "*" else re.escape(part) for part in base.split("/"))
    return re.compile("^" + body + ("(/.*)?" if rest else "") + "$")


_COMPILED = [(_compile(r.pattern), r) for r in RULES]


@lru_cache(maxsize=8192)
def _cached_rule(method: str, path: str) -> str | None:
    for regex, rule in _COMPILED:
        if method in rule.methods and regex.match(path):
            return rule.permission
    return None


def required_permission(method: str, path: str) -> str | None:
    """The permission ``method path`` needs; ``None`` when no rule covers it (denied)."""
    if method == "HEAD":
        method = "GET"
    if path in PUBLIC_PATHS:
        return PUBLIC
    return _cached_rule(method, path)


def permissions_of(caller: Caller) -> frozenset[str]:
    return granted(caller)


def allows(caller: Caller, permission: str) -> bool:
    if permission in (PUBLIC, AUTHENTICATED):
        return True
    return permission in permissions_of(caller)
