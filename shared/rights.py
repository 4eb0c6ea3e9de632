"""Who may do what: the one statement of rights the gateway and every service read.

Function level. A caller holds *permissions*: a person through their roles, a partner system
through its scopes (``granted``). Every operation needs one permission: the specific rules
below first, else the owning service's default for reads and writes (``OPERATION_RULES``,
``SERVICE_DEFAULTS``). The gateway refuses a caller who lacks it; each service checks the
same permission with ``holds`` before its own object-level rules (agency, owner,
publication state), which only ever narrow what is granted here.
``tests/gateway/test_rights_agree.py`` holds every service's answers against this.

Decisions written down here (issue 15):

- The trail is read by holders of ``trail:read``: auditors (inspectors, internal audit),
  administrators and machine readers with that scope. The audit service agrees. The latest
  signed checkpoint alone (seq, hash, signature; no event) needs ``trail:checkpoint``: every
  holder of ``trail:read``, and the board's reader (``board-reader``), which pins its packs
  to it (issue 16) and reads nothing else of the trail.
- The KPI catalogue. Indicator definitions and their versions need ``kpis:define``:
  approvers (their own agency's measures) and council performance staff (plan managers and
  administrators, any agency's), as the data-sharing agreement lets each agency define its
  own partner measures. Org units, targets and benchmarks (each new figure a new version)
  shape the council's performance frame and need ``kpis:organise``: council performance
  staff only (plan managers, administrators).
- The plan. Reporting progress needs ``actions:write`` (contributors and plan managers, not
  approvers, whose part is KPI data; the agency rules are the actions service's). Changing an
  action's status needs ``actions:status``: contributors of the lead agency, plan managers,
  and auditors (who may only mark an action embedded). The plan's structure (plans, actions,
  owners, risks, sprints, reminders, criterion → indicator and recommendation ↔ action
  links) needs ``actions:manage``: council plan managers and
  administrators.
- QA: reading case audits, findings, tools, programmes and statistics needs ``audit:read``,
  which every person holds (board members read audit results; which audits an agency sees
  is the audit service's object-level rule); recording them needs ``audit:write`` (auditors,
  plan managers, administrators); moderating and closing an audit ``audit:moderate`` (QA
  writers and approvers of the lead agency, never the auditor of the case).
- The board (issue 16): reading meetings and meeting types needs ``board:read``, which
  every person holds (every role) and partner systems get with the ``board:read`` scope.
  Writing meetings (minutes: attendees, agenda, decisions, actions arising) needs
  ``board:write``: council plan managers and administrators, and the board's
  administrators. The board's administrators are the ``board_admin`` role: the board's
  secretariat (clerks who minute the meetings), who hold ``board:read`` and the other
  read permissions of every person, plus ``board:write`` and ``board:administer``, and
  nothing of the plan, KPIs or QA beyond reading. Extending the list of meeting types
  needs ``board:administer``: administrators and board administrators. The board service
  narrows writing further (object level): a plan manager or administrator writes only as
  a council person; a partner system writes with the ``board:write`` scope.
- Administration (``admin``) is the council's alone; nobody appends to the trail but the
  services' relays (``trail:append`` is no role's).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.identity import Caller
from shared.vocabulary import LEAD_AGENCY, ROLES, SCOPES

__all__ = ["ROLES", "SCOPES"]  # re-exported: the gateway's policy reads them here

READ = frozenset({"GET", "HEAD"})
WRITE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL = READ | WRITE

PUBLIC = "public"  # no token needed
AUTHENTICATED = "authenticated"  # any verified caller

#: Permissions no scope is named after: held through roles, or granted with a scope.
FINER = frozenset(
    {
        "actions:status",
        "actions:manage",
        "kpis:define",
        "kpis:organise",
        "audit:moderate",
        "board:administer",
    }
)
PERMISSIONS = SCOPES | FINER

_VIEW = {"actions:read", "kpis:read", "audit:read", "board:read"}
_CONTRIBUTE = _VIEW | {"actions:write", "actions:status", "kpis:submit"}
_QA_WRITE = {"audit:write", "audit:moderate"}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEW),
    "contributor": frozenset(_CONTRIBUTE),
    "approver": frozenset(
        _VIEW | {"kpis:submit", "kpis:approve", "kpis:define", "kpis:import", "audit:moderate"}
    ),
    "auditor": frozenset(_VIEW | _QA_WRITE | {"trail:read", "trail:checkpoint", "actions:status"}),
    "plan_manager": frozenset(
        _CONTRIBUTE
        | _QA_WRITE
        | {"actions:manage", "kpis:define", "kpis:organise", "kpis:import", "board:write"}
    ),
    "admin": frozenset(PERMISSIONS - {"trail:append"}),
    "board_admin": frozenset(_VIEW | {"board:write", "board:administer"}),
}
#: A machine client's scope grants itself, and a write scope the matching read.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "actions:read": frozenset({"actions:read"}),
    "actions:write": frozenset({"actions:write", "actions:status", "actions:read"}),
    "kpis:read": frozenset({"kpis:read"}),
    "kpis:submit": frozenset({"kpis:submit", "kpis:read"}),
    "kpis:approve": frozenset({"kpis:approve", "kpis:define", "kpis:read"}),
    "kpis:import": frozenset({"kpis:import", "kpis:read"}),
    "audit:read": frozenset({"audit:read"}),
    "audit:write": frozenset({"audit:write", "audit:moderate", "audit:read"}),
    "trail:read": frozenset({"trail:read", "trail:checkpoint"}),
    "trail:checkpoint": frozenset({"trail:checkpoint"}),
    "trail:append": frozenset({"trail:append"}),
    "board:read": frozenset({"board:read"}),
    "board:write": frozenset({"board:write", "board:read"}),
    "admin": frozenset({"admin", "actions:manage"}),
}
#: Administration of agencies, clients, users and the deny list is the council's alone.
ADMIN_AGENCY = LEAD_AGENCY


def granted(caller: Caller) -> frozenset[str]:
    """Every permission ``caller`` holds (people by role, partner systems by scope)."""
    held: set[str] = set()
    if caller.kind == "client":
        for scope in caller.scopes:
            held |= SCOPE_PERMISSIONS.get(scope, frozenset())
    else:
        for role in caller.roles:
            held |= ROLE_PERMISSIONS.get(role, frozenset())
    if caller.agency != ADMIN_AGENCY:
        held.discard("admin")
    return frozenset(held)


def holds(caller: Caller, *permissions: str) -> bool:
    """Whether ``caller`` holds any of ``permissions``."""
    return not granted(caller).isdisjoint(permissions)


@dataclass(frozen=True)
class Rule:
    pattern: str  # "*" one segment, trailing "/**" any rest (or nothing)
    methods: frozenset[str]
    permission: str


#: Operations whose permission is not their service's default (first match wins).
OPERATION_RULES: tuple[Rule, ...] = (
    # the gateway's own routes
    Rule("/oauth/token", frozenset({"POST"}), PUBLIC),
    # browser sign-in (authorization code with PKCE): the sign-in page, its form, the
    # return from an agency's provider
    Rule("/oauth/authorize", frozenset({"GET", "POST"}), PUBLIC),
    Rule("/oauth/federated/callback", frozenset({"GET"}), PUBLIC),
    Rule("/oauth/token/revoke", frozenset({"POST"}), PUBLIC),  # browser sign-out (cookie)
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
    # actions: progress, status, and the plan's structure
    Rule("/v1/actions/*/updates", WRITE, "actions:write"),
    Rule("/v1/actions/*/status", WRITE, "actions:status"),
    Rule("/v1/plans/**", WRITE, "actions:manage"),
    Rule("/v1/actions/**", WRITE, "actions:manage"),
    Rule("/v1/owners/**", WRITE, "actions:manage"),
    Rule("/v1/risks/**", WRITE, "actions:manage"),
    Rule("/v1/sprints/**", WRITE, "actions:manage"),
    Rule("/v1/reminders/**", WRITE, "actions:manage"),
    Rule("/v1/success-criteria/**", WRITE, "actions:manage"),  # criterion → indicator links
    Rule("/v1/recommendations/**", WRITE, "actions:manage"),  # recommendation ↔ action links
    # kpis: submission, approval, publication, imports, the catalogue
    Rule("/v1/submissions/**", frozenset({"POST"}), "kpis:submit"),
    Rule("/v1/values/*/approve", WRITE, "kpis:approve"),
    Rule("/v1/values/*/reject", WRITE, "kpis:approve"),
    Rule("/v1/values/**", WRITE, "kpis:submit"),
    Rule("/v1/releases/**", WRITE, "kpis:approve"),
    Rule("/v1/imports/**", WRITE, "kpis:import"),  # reading: kpis:read, own agency only
    # a webhook subscription is a notice of events the caller may read: kpis:read
    Rule("/v1/webhooks/**", WRITE, "kpis:read"),
    Rule("/v1/indicators/**", WRITE, "kpis:define"),
    Rule("/v1/org-units/**", WRITE, "kpis:organise"),
    Rule("/v1/targets/**", WRITE, "kpis:organise"),
    Rule("/v1/benchmarks/**", WRITE, "kpis:organise"),  # new versions of benchmark figures
    # audit: moderation and the trail
    Rule("/v1/audits/*/moderate", WRITE, "audit:moderate"),
    Rule("/v1/audits/*/close", WRITE, "audit:moderate"),
    Rule("/v1/trail/events", frozenset({"POST"}), "trail:append"),
    Rule("/v1/trail/checkpoints/latest", READ, "trail:checkpoint"),  # no event, only the pin
    Rule("/v1/trail/**", READ, "trail:read"),
    Rule("/v1/trail/checkpoints/verify", frozenset({"POST"}), "trail:read"),  # a read
    Rule("/v1/trail/**", WRITE, "admin"),
    # board: extending the list of meeting types
    Rule("/v1/meeting-types/**", WRITE, "board:administer"),
)
#: Every other operation of a service: (permission to read, permission to write).
SERVICE_DEFAULTS: dict[str, tuple[str, str]] = {
    "actions": ("actions:read", "actions:write"),
    "kpis": ("kpis:read", "kpis:approve"),
    "audit": ("audit:read", "audit:write"),
    "board": ("board:read", "board:write"),
}
