"""Which service owns each resource path. One owner per ``/v1/<resource>``."""

from __future__ import annotations

ROUTE_TABLE: dict[str, str] = {
    # actions: the improvement plan
    "plans": "actions",
    "themes": "actions",
    "success-criteria": "actions",
    "actions": "actions",
    "owners": "actions",
    "sprints": "actions",
    "recommendations": "actions",
    "risks": "actions",
    "board-summary": "actions",
    "reminders": "actions",
    # kpis: indicators, values and imports
    "indicators": "kpis",
    "org-units": "kpis",
    "submissions": "kpis",
    "values": "kpis",
    "series": "kpis",
    "dashboard": "kpis",
    "releases": "kpis",
    "targets": "kpis",
    "benchmarks": "kpis",
    "populations": "kpis",
    "imports": "kpis",
    "webhooks": "kpis",  # partner subscriptions to kpis events
    # audit: case audits and the trail
    "audit-tools": "audit",
    "audit-programmes": "audit",
    "audits": "audit",
    "findings": "audit",
    "audit-statistics": "audit",
    "trail": "audit",
    # board: meetings of the partnership's boards
    "meetings": "board",
    "meeting-types": "board",
    "board": "board",  # statuses: is it working?
}


def owner_of(path: str) -> str | None:
    """The service owning ``path`` (``/v1/<resource>...``), or ``None``."""
    parts = path.split("/", 3)
    if len(parts) < 3 or parts[1] != "v1":
        return None
    return ROUTE_TABLE.get(parts[2])
