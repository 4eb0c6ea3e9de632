"""Factories for QA tests: people, a tool, programmes and audits made through the API."""

from __future__ import annotations

from typing import Any

import httpx

from shared.identity import Caller
from tests.support.tokens import auth_header

AUDITOR = Caller("council-auditor-1", "council", roles=frozenset({"auditor"}))
MODERATOR = Caller("council-auditor-2", "council", roles=frozenset({"auditor"}))
VIEWER = Caller("council-viewer", "council", roles=frozenset({"viewer"}))
POLICE = Caller("police-auditor", "police", roles=frozenset({"auditor"}))
CCG = Caller("ccg-auditor", "ccg", roles=frozenset({"auditor"}))
PROBATION = Caller("probation-auditor", "probation", roles=frozenset({"auditor"}))

TOOL = {
    "code": "QALF-CASE",
    "title": "QALF case audit",
    "sections": [
        {
            "code": "S1",
            "title": "The child's journey",
            "questions": [
                {
                    "code": "q1",
                    "text": "Was the threshold applied correctly?",
                    "answer_type": "yes_no",
                },
                {
                    "code": "q2",
                    "text": "Quality of assessment",
                    "answer_type": "grade",
                    "guidance": "Use the grade descriptors",
                },
                {"code": "q3", "text": "Notes", "answer_type": "text", "required": False},
            ],
        }
    ],
}
ANSWERS = {"q1": True, "q2": "good"}


def h(who: Caller, etag: str | None = None) -> dict[str, str]:
    headers = auth_header(who, "audit")
    if etag:
        headers["If-Match"] = etag
    return headers


async def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def tool(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    return await ok(
        await client.post("/v1/audit-tools", json={**TOOL, **overrides}, headers=h(AUDITOR)), 201
    )


async def programme(
    client: httpx.AsyncClient, tool_id: int, lead: Caller = AUDITOR, partners: tuple[str, ...] = ()
) -> dict[str, Any]:
    body = {
        "title": "Front-door threshold audit",
        "tool_id": tool_id,
        "scope": "Contacts to the Integrated Front Door",
        "sampling_rule": "random sample of contacts in the month",
        "sample_size": 20,
        "schedule": "monthly",
        "lead_agency": lead.agency,
        "participating_agencies": list(partners),
        "linked_actions": ["5A1"],
    }
    return await ok(await client.post("/v1/audit-programmes", json=body, headers=h(lead)), 201)


async def audit(
    client: httpx.AsyncClient,
    programme_id: int,
    *,
    by: Caller = AUDITOR,
    team: str = "MASH-1",
    day: str = "2026-01-15",
) -> tuple[dict[str, Any], str]:
    body = {
        "programme_id": programme_id,
        "case_ref": "LCS-104233",
        "team_code": team,
        "worker_code": "W123",
        "audit_date": day,
    }
    response = await client.post("/v1/audits", json=body, headers=h(by))
    return await ok(response, 201), response.headers["ETag"]


async def act(
    client: httpx.AsyncClient, method: str, url: str, who: Caller, etag: str, body: Any = None
) -> tuple[httpx.Response, str]:
    response = await client.request(method, url, json=body, headers=h(who, etag))
    return response, response.headers.get("ETag", etag)


async def graded(
    client: httpx.AsyncClient,
    programme_id: int,
    grade: str,
    *,
    moderated: str | None = None,
    team: str = "MASH-1",
    day: str = "2026-01-15",
    close: bool = False,
) -> dict[str, Any]:
    """An audit taken through to submitted (and moderated, and closed, when asked)."""
    made, etag = await audit(client, programme_id, team=team, day=day)
    url = f"/v1/audits/{made['audit_id']}"
    r, etag = await act(
        client,
        "PUT",
        f"{url}/sections/council",
        AUDITOR,
        etag,
        {"answers": ANSWERS, "complete": True},
    )
    await ok(r)
    r, etag = await act(client, "PATCH", url, AUDITOR, etag, {"grade": grade})
    await ok(r)
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    body = await ok(r)
    if moderated is not None:
        r, etag = await act(
            client,
            "POST",
            f"{url}/moderate",
            MODERATOR,
            etag,
            {"grade": moderated, "reason": "evidence of drift"},
        )
        body = await ok(r)
        if close:
            r, etag = await act(client, "POST", f"{url}/close", MODERATOR, etag)
            body = await ok(r)
    return body
