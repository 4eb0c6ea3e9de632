"""Fixed gateway answers for the board's evidence reads: the documents the actions, kpis
and audit services return, in their shapes (criterion 1A has a published indicator across
its target with a signal; 1B has only a completed action; recommendation 10 no action)."""

from __future__ import annotations

from typing import Any

CRITERIA = [
    {"criterion_id": 1, "plan_id": 1, "theme_number": 1, "code": "1A", "text": "Front door"},
    {"criterion_id": 2, "plan_id": 1, "theme_number": 1, "code": "1B", "text": "Nothing yet"},
]
ACTIONS = [
    {
        "action_id": 11,
        "plan_id": 1,
        "ref": "1A1",
        "criterion_code": "1A",
        "title": "Triage",
        "status": "in_progress",
        "overdue": False,
        "declared_rag": "amber",
        "lead_agency": "council",
        "contributing_agencies": ["police"],
    },
    {
        "action_id": 12,
        "plan_id": 1,
        "ref": "1B1",
        "criterion_code": "1B",
        "title": "Draft",
        "status": "completed",
        "overdue": False,
        "declared_rag": "green",
        "lead_agency": "council",
        "contributing_agencies": [],
    },
]
#: The audit service's latest signed trail checkpoint (``trail:checkpoint``), as it answers.
CHECKPOINT = {
    "seq": 42,
    "hash": "ab" * 32,
    "created_at": "2026-12-01T09:00:00+00:00",
    "key_id": "trail-key-1",
    "signature": "c2lnbmF0dXJl",
}
ANSWERS: dict[str, Any] = {
    "/v1/plans": [{"plan_id": 1, "status": "active"}],
    "/v1/success-criteria": CRITERIA,
    "/v1/success-criteria/indicators": [
        {
            "criterion_id": 1,
            "plan_id": 1,
            "indicator_code": "CONTACTS",
            "target_value": "80",
            "direction": "up",
            "by_date": "2027-03-31",
        }
    ],
    "/v1/actions": ACTIONS,
    "/v1/recommendations": [
        {
            "recommendation_id": 5,
            "plan_id": 1,
            "source": "ofsted",
            "number": 10,
            "text": "No action yet",
            "actions": [],
        },
        {
            "recommendation_id": 6,
            "plan_id": 1,
            "source": "ofsted",
            "number": 1,
            "text": "Front door",
            "actions": [{"action_id": 11, "ref": "1A1"}],
        },
    ],
    "/v1/audit-programmes": [],
    "/v1/audits": [],
    "/v1/findings": [],
    "/v1/series": {
        "name": "Contacts",
        "points": [
            {"period": "2026-10", "value": "70", "state": "approved", "definition_version": 1},
            {
                "period": "2026-11",
                "value": "85",
                "state": "approved",
                "definition_version": 1,
                "spc": {"mean": 60.0, "signals": ["beyond_limits"]},
            },
            {"period": "2026-12", "value": "10", "state": "submitted", "definition_version": 1},
        ],
    },
    "/v1/values": {
        "items": [
            {
                "period": "2026-10",
                "release_id": "1a0c-release",
                "approved_at": "2026-11-02T10:00:00Z",
            },
            {
                "period": "2026-11",
                "release_id": "2b1c-release",
                "approved_at": "2026-12-02T10:00:00Z",
            },
        ],
        "total": 2,
    },
    "/v1/risks": [],
    "/v1/actions/11/updates": [],
    "/v1/actions/12/updates": [],
    "/v1/releases/2b1c-release": {"release_id": "2b1c-release", "valid": True},
    "/v1/trail/checkpoints/latest": {"checkpoint": CHECKPOINT},
}


class Answers:
    """A reader answering from :data:`ANSWERS`, recording what it was asked."""

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        self.asked: list[tuple[str, dict[str, Any]]] = []
        self.answers = ANSWERS | (extra or {})

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        self.asked.append((path, params or {}))
        return self.answers[path]

    async def items(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        found = await self.get(path, params)
        return list(found["items"] if isinstance(found, dict) else found)
