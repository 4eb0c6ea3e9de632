"""Examples for the main flows, attached to the merged document by method and path.

Token, submission, import, progress update and audit: a request and the answer. Each example
is checked against its schema (``tests/contract``, and Redocly's
``no-invalid-media-type-examples``), so one that drifts from its schema fails the build.
"""

from __future__ import annotations

from typing import Any

from shared.problems import PROBLEM_MEDIA_TYPE, TYPE_BASE

JSON = "application/json"
REQUEST_ID = "6f1c2a4e-8b0d-4c3e-9a57-2d8e1f0b3c4a"
SUBMISSION_ID = "0b7d3c52-5a1e-4f6b-9c8d-2e4f6a8b0c1d"
IMPORT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

Example = dict[str, Any]

TOKEN_REQUEST: Example = {
    "grant_type": "client_credentials",
    "client_id": "wirral-ccg-reporting",
    "client_secret": "s3cr3t-from-registration",
    "scope": "kpis:submit",
}
TOKEN: Example = {
    "access_token": "eyJhbGciOiJFUzI1NiIsImtpZCI6ImdhdGV3YXktMSJ9.eyJzdWIiOiIuLi4ifQ.c2ln",
    "token_type": "Bearer",
    "expires_in": 900,
    "scope": "kpis:submit",
}
SUBMISSION: Example = {
    "mode": "all_or_nothing",
    "dry_run": False,
    "rows": [
        {
            "indicator": "CP-REPEAT-12M",
            "period": "2017-05",
            "org_unit": "WIRRAL",
            "numerator": 31,
            "denominator": 178,
        },
        {
            "indicator": "HEALTH-ASSESS-20D",
            "period": "2017/18-Q1",
            "org_unit": "WIRRAL",
            "value": "64.5",
            "comment": "ICB figure, validated",
        },
    ],
}
SUBMISSION_REPORT: Example = {
    "submission_id": SUBMISSION_ID,
    "status": "recorded",
    "mode": "all_or_nothing",
    "dry_run": False,
    "accepted": 1,
    "unchanged": 1,
    "rejected": 0,
    "rows": [
        {"row": 1, "status": "accepted", "reasons": [], "revision": 2},
        {"row": 2, "status": "unchanged", "reasons": [], "revision": 1},
    ],
}
SUBMISSION_REJECTED: Example = {
    "type": TYPE_BASE + "submission-rejected",
    "title": "Submission rejected",
    "status": 422,
    "detail": "one or more rows were rejected; nothing was written (see rows)",
    "request_id": REQUEST_ID,
    "submission_id": None,
    "outcome": "rejected",
    "mode": "all_or_nothing",
    "dry_run": False,
    "accepted": 1,
    "unchanged": 0,
    "rejected": 1,
    "rows": [
        {"row": 1, "status": "accepted", "reasons": [], "revision": 2},
        {
            "row": 2,
            "status": "rejected",
            "reasons": ["period: published and locked; reopen it to correct a value"],
            "revision": None,
        },
    ],
}
IMPORT: Example = {
    "id": IMPORT_ID,
    "kind": "ssda903",
    "status": "running",
    "partial": False,
    "collection_year": 2017,
    "population": 67000,
    "created_at": "2018-06-04T09:12:00Z",
    "finished_at": None,
    "progress": {
        "stage": "reading",
        "rows_read": 120000,
        "rows_stored": 0,
        "rows_expected": 300000,
        "percent": 36,
        "updated_at": "2026-12-04T09:00:05Z",
    },
    "values_count": 0,
    "report": {"error_count": 0, "warning_count": 0, "errors": [], "warnings": []},
    "duplicate": False,
}
UPDATE_REQUEST: Example = {
    "narrative": "Audit of step-down decisions done in all four locality teams.",
    "percent_complete": 60,
    "declared_rag": "amber",
    "evidence": ["Board paper 2018-03, item 4"],
    "step_number": 2,
}
UPDATE: Example = {
    "update_id": 418,
    "action_id": 37,
    "step_number": 2,
    "author": "j.smith",
    "agency": "council",
    "update_date": "2018-03-14",
    "narrative": "Audit of step-down decisions done in all four locality teams.",
    "percent_complete": 60,
    "declared_rag": "amber",
    "evidence": ["Board paper 2018-03, item 4"],
    "created_at": "2018-03-14T16:02:11Z",
}
AUDIT_REQUEST: Example = {
    "programme_id": 3,
    "case_ref": "WC-20471",
    "team_code": "CIN-EAST",
    "worker_code": "W118",
    "audit_date": "2018-02-20",
}
AUDIT: Example = {
    "audit_id": 52,
    "programme_id": 3,
    "tool_id": 7,
    "case_ref": "WC-20471",
    "team_code": "CIN-EAST",
    "worker_code": "W118",
    "auditor_subject": "a.patel",
    "lead_agency": "council",
    "is_multi_agency": True,
    "audit_date": "2018-02-20",
    "status": "draft",
    "grade": None,
    "moderated_grade": None,
    "final_grade": None,
    "moderation_reason": None,
    "moderator_subject": None,
    "moderated_at": None,
    "joint_conclusion": None,
    "submitted_at": None,
    "closed_at": None,
    "sections": [],
}

#: (method, path) → where: ``"request"`` (media type → example) and status → media → example.
EXAMPLES: dict[tuple[str, str], dict[str, dict[str, Example]]] = {
    ("post", "/oauth/token"): {
        "request": {"application/x-www-form-urlencoded": TOKEN_REQUEST},
        "200": {JSON: TOKEN},
    },
    ("post", "/v1/submissions"): {
        "request": {JSON: SUBMISSION},
        "201": {JSON: SUBMISSION_REPORT},
        "422": {PROBLEM_MEDIA_TYPE: SUBMISSION_REJECTED},
    },
    ("post", "/v1/imports"): {"202": {JSON: IMPORT}},
    ("get", "/v1/imports/{import_id}"): {"200": {JSON: IMPORT}},
    ("post", "/v1/actions/{action_id}/updates"): {
        "request": {JSON: UPDATE_REQUEST},
        "201": {JSON: UPDATE},
    },
    ("post", "/v1/audits"): {"request": {JSON: AUDIT_REQUEST}, "201": {JSON: AUDIT}},
}


def attach(doc: dict[str, Any]) -> None:
    """Set each example on its media type; a path, status or media type gone is skipped
    (the contract test names it)."""
    for (method, path), where in EXAMPLES.items():
        operation = doc["paths"].get(path, {}).get(method)
        if operation is None:
            continue
        for place, media in where.items():
            if place == "request":
                content = operation.get("requestBody", {}).get("content", {})
            else:
                content = operation.get("responses", {}).get(place, {}).get("content", {})
            for media_type, example in media.items():
                if media_type in content:
                    content[media_type]["example"] = example
