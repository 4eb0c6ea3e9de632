"""The learning loop: open → action agreed → done → re-checked → closed, never closed unchecked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.identity import Caller
from tests.audit.qa import AUDITOR, MODERATOR, POLICE, VIEWER, audit, h, ok, programme, tool


async def new_finding(
    client: httpx.AsyncClient, *, partners: tuple[str, ...] = (), **overrides: Any
) -> tuple[dict[str, Any], str]:
    t = await tool(client)
    p = await programme(client, t["tool_id"], partners=partners)
    made, _ = await audit(client, p["programme_id"])
    body = {
        "audit_id": made["audit_id"],
        "severity": "high",
        "description": "Strategy discussion not held within timescale",
        "owner": "MASH team manager",
        "agency": "council",
        "due_date": "2099-01-31",
        **overrides,
    }
    response = await client.post("/v1/findings", json=body, headers=h(AUDITOR))
    return await ok(response, 201), response.headers["ETag"]


async def move(
    client: httpx.AsyncClient, finding_id: int, etag: str, who: Caller = AUDITOR, **body: Any
) -> tuple[httpx.Response, str]:
    """POST a transition as ``who`` (default: the council auditor)."""
    r = await client.post(f"/v1/findings/{finding_id}/transitions", json=body, headers=h(who, etag))
    return r, r.headers.get("ETag", etag)


async def test_the_full_loop_schedules_a_recheck_and_closes_after_it(
    client: httpx.AsyncClient,
) -> None:
    f, etag = await new_finding(client, plan_action_ref="5A1")
    fid = f["finding_id"]
    assert (f["status"], f["plan_action_ref"]) == ("open", "5A1")
    r, etag = await move(client, fid, etag, to="action_agreed")
    assert r.status_code == 422
    assert "action" in r.text
    r, etag = await move(client, fid, etag, to="action_agreed", action="Daily MASH huddle")
    assert (await ok(r))["status"] == "action_agreed"
    r, etag = await move(client, fid, etag, to="done", done_on="2026-02-01")
    body = await ok(r)
    assert (body["status"], body["recheck_due_date"]) == ("done", "2026-05-02")  # +90 days
    r, etag = await move(client, fid, etag, MODERATOR, to="rechecked")
    assert r.status_code == 422
    r, etag = await move(
        client, fid, etag, MODERATOR, to="rechecked", outcome="effective", notes="sampled 5"
    )
    body = await ok(r)
    assert (body["status"], body["recheck_outcome"], body["rechecked_by"]) == (
        "rechecked",
        "effective",
        MODERATOR.subject,
    )
    r, etag = await move(client, fid, etag, to="open")
    assert r.status_code == 409  # an effective action does not reopen
    r, etag = await move(client, fid, etag, to="closed")
    assert (await ok(r))["status"] == "closed"
    r, etag = await move(client, fid, etag, to="open")
    assert r.status_code == 409


async def test_a_finding_cannot_close_without_a_recheck(client: httpx.AsyncClient) -> None:
    f, etag = await new_finding(client)
    fid = f["finding_id"]
    steps: list[dict[str, Any]] = [
        {"to": "action_agreed", "action": "Audit again in a month"},
        {"to": "done", "recheck_due_date": "2099-06-30"},
    ]
    for step in steps:
        r, _ = await move(client, fid, etag, to="closed")
        assert r.status_code == 409
        assert "re-check" in r.json()["detail"]
        r, etag = await move(client, fid, etag, **step)
        await ok(r)
    r, _ = await move(client, fid, etag, to="closed")
    assert r.status_code == 409
    r, etag = await move(client, fid, etag, to="done")
    assert r.status_code == 409  # no skipping or repeating steps


async def test_a_recheck_that_finds_the_action_not_effective_reopens_the_finding(
    client: httpx.AsyncClient,
) -> None:
    f, etag = await new_finding(client)
    fid = f["finding_id"]
    steps: list[dict[str, Any]] = [
        {"to": "action_agreed", "action": "Training"},
        {"to": "done"},
    ]
    for step in steps:
        r, etag = await move(client, fid, etag, **step)
        await ok(r)
    r, etag = await move(client, fid, etag, MODERATOR, to="rechecked", outcome="not_effective")
    await ok(r)
    body = await ok(await client.get(f"/v1/findings/{fid}", headers=h(AUDITOR)))
    assert (body["status"], body["recheck_due_date"]) == ("open", None)
    r, etag = await move(client, fid, etag, to="open")
    assert r.status_code == 409  # already open


async def test_transitions_need_the_current_etag(client: httpx.AsyncClient) -> None:
    f, etag = await new_finding(client)
    fid = f["finding_id"]
    r = await client.post(
        f"/v1/findings/{fid}/transitions",
        json={"to": "action_agreed", "action": "a"},
        headers=h(AUDITOR),
    )
    assert r.status_code == 428
    r, _ = await move(client, fid, etag, to="action_agreed", action="a")
    await ok(r)
    r, _ = await move(client, fid, etag, to="done")  # the old ETag
    assert r.status_code == 412


async def test_who_moves_a_finding(client: httpx.AsyncClient) -> None:
    f, etag = await new_finding(client, partners=("police",), agency="police")
    fid = f["finding_id"]
    r, etag = await move(client, fid, etag, VIEWER, to="action_agreed", action="a")
    assert r.status_code == 403
    r, etag = await move(
        client, fid, etag, POLICE, to="action_agreed", action="Police CSE lead briefs"
    )
    await ok(r)  # the finding's agency agrees its action
    r, etag = await move(client, fid, etag, POLICE, to="done")
    await ok(r)
    r, etag = await move(client, fid, etag, POLICE, to="rechecked", outcome="effective")
    assert r.status_code == 403  # re-checks belong to the lead agency's QA
    r, etag = await move(client, fid, etag, MODERATOR, to="rechecked", outcome="effective")
    await ok(r)


async def test_findings_of_an_audit_another_agency_cannot_see_are_hidden(
    client: httpx.AsyncClient,
) -> None:
    f, _ = await new_finding(client)
    assert (
        await client.get(f"/v1/findings/{f['finding_id']}", headers=h(POLICE))
    ).status_code == 404
    listed = await ok(await client.get("/v1/findings", headers=h(POLICE)))
    assert f["finding_id"] not in {x["finding_id"] for x in listed["items"]}
    body = {
        "audit_id": f["audit_id"],
        "severity": "low",
        "description": "d",
        "owner": "o",
        "agency": "police",
        "due_date": "2026-01-01",
    }
    assert (await client.post("/v1/findings", json=body, headers=h(POLICE))).status_code == 404


async def test_overdue_findings_and_rechecks_are_flagged_and_listed(
    client: httpx.AsyncClient,
) -> None:
    today = datetime.now(UTC).date()
    late, _ = await new_finding(client, due_date=(today - timedelta(days=1)).isoformat())
    fine, etag = await new_finding(client)
    r, etag = await move(client, fine["finding_id"], etag, to="action_agreed", action="a")
    r, etag = await move(
        client,
        fine["finding_id"],
        etag,
        to="done",
        done_on=(today - timedelta(days=30)).isoformat(),
        recheck_due_date=(today - timedelta(days=2)).isoformat(),
    )
    body = await ok(r)
    assert (body["is_overdue"], body["is_recheck_overdue"]) == (False, True)
    assert late["is_overdue"] is True
    overdue = await ok(
        await client.get("/v1/findings", params={"overdue": True}, headers=h(AUDITOR))
    )
    assert {x["finding_id"] for x in overdue["items"]} == {late["finding_id"]}
    due = await ok(
        await client.get("/v1/findings", params={"recheck_overdue": True}, headers=h(AUDITOR))
    )
    assert {x["finding_id"] for x in due["items"]} == {fine["finding_id"]}
    assert date.fromisoformat(body["recheck_due_date"]) < today


async def _done(
    client: httpx.AsyncClient, who: Caller = AUDITOR, **overrides: Any
) -> tuple[int, str]:
    """A finding taken to done by ``who`` (agreed and completed by the same person)."""
    f, etag = await new_finding(client, **overrides)
    fid = f["finding_id"]
    r, etag = await move(client, fid, etag, who, to="action_agreed", action="Weekly huddle")
    await ok(r)
    r, etag = await move(client, fid, etag, who, to="done", done_on="2026-02-01")
    await ok(r)
    return fid, etag


async def test_a_not_effective_recheck_reopens_the_loop_and_the_finding_cannot_close(
    client: httpx.AsyncClient,
) -> None:
    fid, etag = await _done(client)
    r, etag = await move(client, fid, etag, MODERATOR, to="rechecked", outcome="not_effective")
    body = await ok(r)
    assert (body["status"], body["recheck_outcome"]) == ("open", "not_effective")
    assert (body["done_on"], body["recheck_due_date"]) == (None, None)
    r, etag = await move(client, fid, etag, MODERATOR, to="closed")
    assert r.status_code == 409
    r, etag = await move(client, fid, etag, to="done")
    assert r.status_code == 409  # a new action first
    r, etag = await move(client, fid, etag, to="action_agreed")
    assert r.status_code == 422  # the new action must be stated
    r, etag = await move(client, fid, etag, to="action_agreed", action="Daily huddle instead")
    assert (await ok(r))["action"] == "Daily huddle instead"
    r, etag = await move(client, fid, etag, MODERATOR, to="closed")
    assert r.status_code == 409  # another re-check first
    r, etag = await move(client, fid, etag, to="done")
    await ok(r)
    r, etag = await move(client, fid, etag, MODERATOR, to="rechecked", outcome="effective")
    await ok(r)
    r, etag = await move(client, fid, etag, MODERATOR, to="closed")
    assert (await ok(r))["status"] == "closed"


async def test_the_person_who_agreed_or_completed_the_action_cannot_recheck_it(
    client: httpx.AsyncClient,
) -> None:
    fid, etag = await _done(client)
    r, etag = await move(client, fid, etag, AUDITOR, to="rechecked", outcome="effective")
    assert r.status_code == 403
    assert "someone other" in r.json()["detail"]
    assert (await ok(await client.get(f"/v1/findings/{fid}", headers=h(AUDITOR))))[
        "status"
    ] == "done"
    # agreed by one person, completed by another: neither may re-check
    f, etag = await new_finding(client)
    fid = f["finding_id"]
    r, etag = await move(client, fid, etag, AUDITOR, to="action_agreed", action="a")
    await ok(r)
    r, etag = await move(client, fid, etag, MODERATOR, to="done")
    await ok(r)
    for who in (AUDITOR, MODERATOR):
        r, etag = await move(client, fid, etag, who, to="rechecked", outcome="effective")
        assert r.status_code == 403
    third = Caller("council-auditor-3", "council", roles=frozenset({"auditor"}))
    r, etag = await move(client, fid, etag, third, to="rechecked", outcome="effective")
    assert (await ok(r))["rechecked_by"] == third.subject


@pytest.mark.parametrize("agency", ["police", "nosuchagency"])
async def test_a_finding_is_assigned_only_to_an_agency_taking_part_in_the_audit(
    client: httpx.AsyncClient, agency: str
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"], partners=("ccg",))
    made, _ = await audit(client, p["programme_id"])
    body = {
        "audit_id": made["audit_id"],
        "severity": "high",
        "description": "d",
        "owner": "o",
        "agency": agency,
        "due_date": "2099-01-31",
    }
    r = await client.post("/v1/findings", json=body, headers=h(AUDITOR))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["agency"]
    assert agency not in r.text  # never echoes the value
    listed = await ok(
        await client.get("/v1/findings", params={"audit_id": made["audit_id"]}, headers=h(AUDITOR))
    )
    assert listed["total"] == 0
    r = await client.post("/v1/findings", json={**body, "agency": "ccg"}, headers=h(AUDITOR))
    assert (await ok(r, 201))["agency"] == "ccg"


async def test_a_409_of_the_loop_keeps_status_the_http_code_and_names_the_finding_state(
    client: httpx.AsyncClient,
) -> None:
    f, etag = await new_finding(client)
    r, _ = await move(client, f["finding_id"], etag, to="done")
    assert r.status_code == 409
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 409
    assert problem["finding_status"] == "open"


async def test_the_owner_email_is_set_after_creation_by_a_qa_writer_of_the_audit(
    client: httpx.AsyncClient,
) -> None:
    """Issue 18: no route set a finding's owner e-mail after it was recorded. PATCH with
    If-Match, the rights of recording a finding (a QA writer of an agency taking part in the
    audit); a bad address is a 422 naming the field, never the value; the trail names the
    field, never the address."""
    from tests.audit.conftest import as_, reader

    f, etag = await new_finding(client, partners=("police",))
    fid, path = f["finding_id"], f"/v1/findings/{f['finding_id']}"
    address = {"owner_email": "mash.manager@council.example"}
    assert (await client.patch(path, json=address, headers=h(AUDITOR))).status_code == 428
    assert (await client.patch(path, json=address, headers=h(VIEWER, etag))).status_code == 403
    ccg_writer = Caller("ccg-auditor", "ccg", roles=frozenset({"auditor"}))  # not taking part
    assert (await client.patch(path, json=address, headers=h(ccg_writer, etag))).status_code in {
        403,
        404,
    }
    bad = await client.patch(path, json={"owner_email": "not-an-address"}, headers=h(AUDITOR, etag))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["owner_email"]
    assert "not-an-address" not in bad.text
    assert f["has_owner_email"] is False
    r = await client.patch(path, json=address, headers=h(AUDITOR, etag))
    body = await ok(r)
    assert "owner_email" not in body  # never shown in reads
    assert "council.example" not in str(body)
    assert body["has_owner_email"] is True  # only whether notices have somewhere to go
    assert r.headers["ETag"] != etag
    stale = await client.patch(path, json={"owner_email": None}, headers=h(AUDITOR, etag))
    assert stale.status_code == 412
    # a participating partner's QA writer may set it too, as it may record findings
    r = await client.patch(
        path, json={"owner_email": "cse.lead@police.example"}, headers=h(POLICE, r.headers["ETag"])
    )
    await ok(r)
    trail = await ok(
        await client.get(
            "/v1/trail",
            params={"event_type": "finding.updated", "entity_id": str(fid)},
            headers=as_(reader()),
        )
    )
    assert sorted((e["who"]["subject"], e["payload"]["fields"]) for e in trail["items"]) == [
        (AUDITOR.subject, ["owner_email"]),
        (POLICE.subject, ["owner_email"]),
    ]
    assert "example" not in str(trail["items"])
