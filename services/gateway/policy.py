"""The authorisation policy: who may call which operation. Deny by default.

Function-level rights only (the gateway's job). Each request's method and path resolve to
one *permission* by the first matching rule below (specific overrides first, then a default
per resource and method class); a caller holds permissions through its roles (people) or
scopes (machine clients). No rule → 403. Object-level decisions (agency, owner, publication
state) belong to the services.

A test (``tests/gateway/test_policy_coverage.py``) builds every service's OpenAPI document
and fails when a served route is neither covered here nor on the public list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from services.gateway.routing.table import ROUTE_TABLE
from shared.identity import Caller

READ = frozenset({"GET", "HEAD"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL = READ | WRITE

PUBLIC = "public"  # no token needed
AUTHENTICATED = "authenticated"  # any verified caller

ROLES = frozenset({"viewer", "contributor", "approver", "auditor", "plan_manager", "admin"})
SCOPES = frozenset(
    {
        "actions:read",
        "actions:write",
        "kpis:read",
        "kpis:submit",
        "kpis:approve",
        "kpis:import",
        "audit:read",
        "audit:write",
        "trail:read",
        "trail:append",
        "admin",
    }
)

_VIEW = {"actions:read", "kpis:read"}
_CONTRIBUTE = _VIEW | {"actions:write", "kpis:submit"}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEW),
    "contributor": frozenset(_CONTRIBUTE),
    "approver": frozenset(_CONTRIBUTE | {"kpis:approve", "kpis:import", "audit:read"}),
    "auditor": frozenset(_VIEW | {"audit:read", "audit:write", "trail:read"}),
    "plan_manager": frozenset(_CONTRIBUTE | {"kpis:import", "audit:read"}),
    "admin": frozenset(SCOPES - {"trail:append"}),
}
#: A machine client's scope grants itself, and a write scope the matching read.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "actions:read": frozenset({"actions:read"}),
    "actions:write": frozenset({"actions:write", "actions:read"}),
    "kpis:read": frozenset({"kpis:read"}),
    "kpis:submit": frozenset({"kpis:submit", "kpis:read"}),
    "kpis:approve": frozenset({"kpis:approve", "kpis:read"}),
    "kpis:import": frozenset({"kpis:import", "kpis:read"}),
    "audit:read": frozenset({"audit:read"}),
    "audit:write": frozenset({"audit:write", "audit:read"}),
    "trail:read": frozenset({"trail:read"}),
    "trail:append": frozenset({"trail:append"}),
    "admin": frozenset({"admin"}),
}
#: Administration of agencies, clients, users and the deny list is the council's alone.
ADMIN_AGENCY = "council"


@dataclass(frozen=True)
class Rule:
    pattern: str  # "*" one segment, trailing "/**" any rest (or nothing)
    methods: frozenset[str]
    permission: str


def _rules() -> list[Rule]:
    specific = [
        # the gateway's own routes
        Rule("/oauth/token", frozenset({"POST"}), PUBLIC),
        Rule("/v1/auth/login", frozenset({"POST"}), PUBLIC),
        Rule("/v1/auth/refresh", frozenset({"POST"}), PUBLIC),
        Rule("/v1/auth/logout", frozenset({"POST"}), PUBLIC),
        Rule("/v1/me", READ, AUTHENTICATED),
        Rule("/v1/auth/password", frozenset({"POST"}), AUTHENTICATED),
        Rule("/v1/agencies/**", READ, AUTHENTICATED),
        Rule("/v1/agencies/**", WRITE, "admin"),
        Rule("/v1/clients/**", ALL, "admin"),
        Rule("/v1/users/**", ALL, "admin"),
        Rule("/v1/deny-list/**", ALL, "admin"),
        # kpis: submission, approval, publication, imports
        Rule("/v1/submissions/**", frozenset({"POST"}), "kpis:submit"),
        Rule("/v1/values/*/approve", WRITE, "kpis:approve"),
        Rule("/v1/values/*/reject", WRITE, "kpis:approve"),
        Rule("/v1/values/**", WRITE, "kpis:submit"),
        Rule("/v1/releases/**", WRITE, "kpis:approve"),
        Rule("/v1/imports/**", ALL, "kpis:import"),
        # council performance staff set targets; the kpis service decides who they are
        Rule("/v1/targets/**", WRITE, "kpis:submit"),
        # audit: the trail
        Rule("/v1/trail/events", frozenset({"POST"}), "trail:append"),
        Rule("/v1/trail/**", READ, "trail:read"),
        Rule("/v1/trail/**", WRITE, "admin"),
    ]
    defaults = {
        "actions": ("actions:read", "actions:write"),
        "kpis": ("kpis:read", "kpis:approve"),
        "audit": ("audit:read", "audit:write"),
    }
    generic = []
    for resource, service in ROUTE_TABLE.items():
        read, write = defaults[service]
        generic.append(Rule(f"/v1/{resource}/**", READ, read))
        generic.append(Rule(f"/v1/{resource}/**", WRITE, write))
    return specific + generic


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
    granted: set[str] = set()
    if caller.kind == "client":
        for scope in caller.scopes:
            granted |= SCOPE_PERMISSIONS.get(scope, frozenset())
    else:
        for role in caller.roles:
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
    if caller.agency != ADMIN_AGENCY:
        granted.discard("admin")
    return frozenset(granted)


def allows(caller: Caller, permission: str) -> bool:
    if permission in (PUBLIC, AUTHENTICATED):
        return True
    return permission in permissions_of(caller)
