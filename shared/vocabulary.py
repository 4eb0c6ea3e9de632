"""The platform's shared words, typed once: roles, scopes, agency codes and the lead agency.

Every service and the gateway use these instead of spelling the strings out; the rights
table (:mod:`shared.rights`) derives its sets from them.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal, get_args

from pydantic import StringConstraints

#: A person's role at their agency (the gateway's users, the internal token's ``roles``).
Role = Literal[
    "viewer", "contributor", "approver", "auditor", "plan_manager", "admin", "board_admin"
]
#: A scope a partner system (OAuth client) may be granted.
Scope = Literal[
    "actions:read",
    "actions:write",
    "kpis:read",
    "kpis:submit",
    "kpis:approve",
    "kpis:import",
    "audit:read",
    "audit:write",
    "trail:read",
    "trail:checkpoint",
    "trail:append",
    "board:read",
    "board:write",
    "admin",
]
ROLES: Final = frozenset[str](get_args(Role))
SCOPES: Final = frozenset[str](get_args(Scope))

#: An agency's code, as the gateway's agency list holds it (agencies are data: admins add them).
AGENCY_CODE = r"^[a-z][a-z0-9_-]{1,39}$"
AgencyCode = Annotated[str, StringConstraints(pattern=AGENCY_CODE)]

#: The lead agency: it owns the plan, imports case-management figures, administers the
#: platform and reads the whole trail.
LEAD_AGENCY: Final = "council"
#: Roles of the lead agency's managers (worker-level figures, unpublished values, imports).
MANAGER_ROLES: Final[tuple[Role, ...]] = ("approver", "plan_manager", "admin")
