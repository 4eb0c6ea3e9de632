"""What the merged document adds for people and generators: tag descriptions, a few clearer
operation ids, and the description line naming what each operation needs.

A tag used by an operation but missing here, or a rename naming an operation that no longer
exists, fails ``tests/contract/test_contract.py`` — add the line here.
"""

from __future__ import annotations

from services.gateway import policy

TAGS: dict[str, str] = {
    "oauth": "Tokens (OAuth 2.0 client credentials for partner systems; a browser's code and "
    "its cookie refresh) and the keys and metadata that verify them.",
    "sign-in": "Browser sign-in (OAuth 2.1 authorization code with PKCE): the sign-in page "
    "for local accounts, an agency's own identity provider, and the way back to the front "
    "end with a code; the code is redeemed and the session refreshed at /oauth/token.",
    "people": "People's accounts at the gateway: log in, refresh, log out, change password; "
    "account administration (council administrators).",
    "agencies": "The partner agencies (council, health, police, probation...) sharing the plan.",
    "meetings": "Improvement Board, performance clinic, scrutiny and corporate parenting "
    "meetings: who attended, the agenda, decisions and actions arising; the previous meeting "
    "of the same type is the 'since' of what changed.",
    "meeting types": "The kinds of governance meeting (four standard; administrators add more).",
    "board status": "Is it working? Computed status per success criterion and per "
    "recommendation, its reasons linked to the evidence (actions, releases, audits), the "
    "declared RAG beside it; the rule and its version.",
    "board packs": "Signed board packs for a meeting: what changed since the previous "
    "meeting by name, the chain status per criterion, theme and agency, SPC charts and RAG "
    "tables, as HTML and PDF rendered again byte for byte from the pack's pins.",
    "clients": "Partner systems registered to call the API, their scopes and secrets.",
    "deny list": "Clients, users and tokens refused before their tokens expire.",
    "health": "Liveness and readiness of the gateway and the services behind it.",
    "plan": (
        "The improvement plan: plans and their editions (a refresh carries open actions "
        "into a new period), themes, success criteria and the owners directory."
    ),
    "actions": "The plan's actions, their status and their append-only progress updates.",
    "sprints": "12-week delivery blocks: what was due, done and carried over.",
    "recommendations": "Ofsted's recommendations and the actions answering them.",
    "risks": "The improvement plan's risk register.",
    "board": "The Improvement Board's summary per theme and agency.",
    "reminders": "Reminders of actions due or overdue, collected daily.",
    "indicators": "The indicator catalogue: definitions, versions and how each is calculated.",
    "org-units": "The council's organisation units (teams, services, workers) values refer to.",
    "reference": "Targets and benchmarks indicators are compared with.",
    "submissions": "Partner batches of indicator values, JSON or CSV, checked row by row.",
    "values": "Indicator values, their approval state (four eyes) and CSV export.",
    "series": "Series, dashboard and drill-down: RAG, benchmarks, travel and SPC.",
    "releases": "Signed releases of published figures and the key verifying them.",
    "imports": "Case-management exports (Annex A, SSDA903) turned into indicator values.",
    "webhooks": "Partner subscriptions to events (an import finished, a period published), "
    "delivered as signed POSTs with retries and a delivery log.",
    "audit tools": "Versioned case-audit tools: the questions and grades an audit uses.",
    "audit programmes": "Programmes of case audits: which tool, which cases, which agencies.",
    "audits": "Multi-agency case audits from draft to moderated and closed.",
    "findings": "Findings of audits and their learning loop.",
    "audit statistics": "Grade distribution, share good or better, overdue findings, re-checks.",
    "trail": "The tamper-evident audit trail: search, verify, signed checkpoints.",
}

#: Operation ids the endpoint function names too vaguely for a client (``submit``, ``keys``).
NAMES: dict[str, str] = {
    "token": "createToken",
    "showSignIn": "startSignIn",
    "jwks": "getJwks",
    "metadata": "getAuthorizationServerMetadata",
    "me": "getMe",
    "submit": "createSubmission",
    "keys": "getReleaseKeys",
    "statistics": "getAuditStatistics",
    "publicKey": "getCheckpointPublicKey",
    "runNow": "runReminders",
    "boardSummary": "getBoardSummary",
    "addEntry": "addDenyListEntry",
    "listEntries": "listDenyListEntries",
    "removeEntry": "removeDenyListEntry",
    "listUnits": "listOrgUnits",
    "createUnit": "createOrgUnit",
    "listVersions": "listIndicatorVersions",
    "createVersion": "createIndicatorVersion",
    "listTools": "listAuditTools",
    "createTool": "createAuditTool",
    "getTool": "getAuditTool",
    "listProgrammes": "listAuditProgrammes",
    "createProgramme": "createAuditProgramme",
    "getProgramme": "getAuditProgramme",
    "updateProgramme": "updateAuditProgramme",
    "addUpdate": "createActionUpdate",
    "listUpdates": "listActionUpdates",
    "postTransition": "createValuesTransition",
    "getPeriod": "getValuesPeriod",
    "importValues": "listImportValues",
    "healthz": "getHealth",
    "readyz": "getReadiness",
}


def needs(permission: str | None) -> str:
    """The sentence a description ends with: what the caller must hold."""
    if permission == policy.PUBLIC:
        return "Public: no token needed."
    if permission in (None, policy.AUTHENTICATED):
        return "Any authenticated caller (a bearer token)."
    return (
        f"Needs the `{permission}` permission: a client scope granting it, or a person's "
        "role that does."
    )
