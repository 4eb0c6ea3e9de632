"""Tools, programmes and case audits: versions, status rules, moderation, multi-agency, rights."""

from __future__ import annotations

import httpx

from tests.audit.conftest import as_, reader
from tests.audit.qa import (
    ANSWERS,
    AUDITOR,
    CCG,
    MODERATOR,
    POLICE,
    PROBATION,
    VIEWER,
    act,
    audit,
    graded,
    h,
    ok,
    programme,
    tool,
)


async def test_tools_are_versioned_and_an_audit_keeps_its_version(
    client: httpx.AsyncClient,
) -> None:
    v1 = await tool(client)
    prog = await programme(client, v1["tool_id"])
    made, _ = await audit(client, prog["programme_id"])
    v2 = await tool(client, title="QALF case audit (2026 revision)")
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v2["grade_scale"] == ["outstanding", "good", "requires_improvement", "inadequate"]
    latest = await ok(
        await client.get("/v1/audit-tools", params={"code": "QALF-CASE"}, headers=h(VIEWER))
    )
    assert [t["version"] for t in latest["items"]] == [2]
    every = await ok(
        await client.get(
            "/v1/audit-tools", params={"code": "QALF-CASE", "all_versions": True}, headers=h(VIEWER)
        )
    )
    assert [t["version"] for t in every["items"]] == [2, 1]
    again = await ok(await client.get(f"/v1/audits/{made['audit_id']}", headers=h(AUDITOR)))
    assert again["tool_id"] == v1["tool_id"]


async def test_only_qa_roles_set_up_tools_and_programmes_for_their_own_agency(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.post(
        "/v1/audit-tools", json={"code": "X1", "title": "x", "sections": []}, headers=h(VIEWER)
    )
    assert refused.status_code in (403, 422)
    from tests.audit.qa import TOOL

    assert (await client.post("/v1/audit-tools", json=TOOL, headers=h(VIEWER))).status_code == 403
    t = await tool(client)
    body = {
        "title": "PEP dip sample",
        "tool_id": t["tool_id"],
        "scope": "children in care",
        "sampling_rule": "10 per quarter",
        "sample_size": 10,
        "schedule": "quarterly",
        "lead_agency": "council",
    }
    assert (
        await client.post("/v1/audit-programmes", json=body, headers=h(POLICE))
    ).status_code == 403
    made = await ok(await client.post("/v1/audit-programmes", json=body, headers=h(AUDITOR)), 201)
    assert made["is_multi_agency"] is False
    assert made["participating_agencies"] == ["council"]


async def test_a_case_is_named_by_a_pseudonymous_reference_never_a_name(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    body = {
        "programme_id": p["programme_id"],
        "case_ref": "Jane Smith",
        "team_code": "MASH-1",
        "audit_date": "2026-01-15",
    }
    answer = await client.post("/v1/audits", json=body, headers=h(AUDITOR))
    assert answer.status_code == 422
    assert "case_ref" in answer.text
    assert "Jane Smith" not in answer.text


async def test_the_single_agency_status_rules(client: httpx.AsyncClient) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    made, etag = await audit(client, p["programme_id"])
    url = f"/v1/audits/{made['audit_id']}"
    assert made["status"] == "draft"
    assert [s["agency"] for s in made["sections"]] == ["council"]
    # changes need If-Match: missing → 428, stale → 412
    assert (await client.patch(url, json={"grade": "good"}, headers=h(AUDITOR))).status_code == 428
    stale = await client.patch(url, json={"grade": "good"}, headers=h(AUDITOR, '"audit-0-v0"'))
    assert stale.status_code == 412
    # submitting needs the section complete and a grade
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    assert r.status_code == 409
    assert r.json()["pending_agencies"] == ["council"]
    r, etag = await act(
        client, "PUT", f"{url}/sections/council", AUDITOR, etag, {"answers": {"q1": "yes"}}
    )
    assert r.status_code == 422
    assert "answers.q1" in r.text
    r, etag = await act(
        client, "PUT", f"{url}/sections/council", AUDITOR, etag, {"answers": {"zz": 1}}
    )
    assert r.status_code == 422
    r, etag = await act(
        client,
        "PUT",
        f"{url}/sections/council",
        AUDITOR,
        etag,
        {"answers": {"q1": True}, "complete": True},
    )
    assert r.status_code == 422
    assert "answers.q2" in r.text
    r, etag = await act(
        client,
        "PUT",
        f"{url}/sections/council",
        AUDITOR,
        etag,
        {"answers": ANSWERS, "complete": True},
    )
    assert (await ok(r))["sections"][0]["is_complete"] is True
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    assert r.status_code == 409
    assert "grade" in r.json()["detail"]
    r, etag = await act(client, "PATCH", url, AUDITOR, etag, {"grade": "inadequate"})
    await ok(r)
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    assert (await ok(r))["status"] == "submitted"
    # answers are frozen once submitted
    r, etag = await act(
        client, "PUT", f"{url}/sections/council", AUDITOR, etag, {"answers": ANSWERS}
    )
    assert r.status_code == 409
    # closing skips moderation: refused
    r, etag = await act(client, "POST", f"{url}/close", MODERATOR, etag)
    assert r.status_code == 409


async def test_moderation_by_another_person_keeps_both_grades_and_the_reason(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    submitted = await graded(client, p["programme_id"], "inadequate")
    url = f"/v1/audits/{submitted['audit_id']}"
    etag = (await client.get(url, headers=h(AUDITOR))).headers["ETag"]
    r, etag = await act(
        client, "POST", f"{url}/moderate", AUDITOR, etag, {"grade": "good", "reason": "x"}
    )
    assert r.status_code == 403  # the auditor cannot moderate their own audit
    r, etag = await act(
        client, "POST", f"{url}/moderate", POLICE, etag, {"grade": "good", "reason": "x"}
    )
    assert r.status_code == 404  # police cannot even see a council single-agency audit
    r, etag = await act(
        client, "POST", f"{url}/moderate", MODERATOR, etag, {"grade": "requires_improvement"}
    )
    assert r.status_code == 422
    assert "reason" in r.text
    r, etag = await act(
        client,
        "POST",
        f"{url}/moderate",
        MODERATOR,
        etag,
        {"grade": "requires_improvement", "reason": "plan was in place"},
    )
    body = await ok(r)
    assert (body["status"], body["grade"], body["moderated_grade"], body["final_grade"]) == (
        "moderated",
        "inadequate",
        "requires_improvement",
        "requires_improvement",
    )
    assert body["moderation_reason"] == "plan was in place"
    assert body["moderator_subject"] == MODERATOR.subject


async def test_moderation_may_confirm_the_grade_without_a_reason(client: httpx.AsyncClient) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    submitted = await graded(client, p["programme_id"], "good")
    url = f"/v1/audits/{submitted['audit_id']}"
    etag = (await client.get(url, headers=h(AUDITOR))).headers["ETag"]
    r, _ = await act(client, "POST", f"{url}/moderate", MODERATOR, etag, {"grade": "good"})
    assert (await ok(r))["final_grade"] == "good"


async def test_a_closed_audit_is_locked(client: httpx.AsyncClient) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    closed = await graded(client, p["programme_id"], "good", moderated="good", close=True)
    assert closed["status"] == "closed"
    url = f"/v1/audits/{closed['audit_id']}"
    etag = (await client.get(url, headers=h(AUDITOR))).headers["ETag"]
    for method, path, body in [
        ("PATCH", url, {"joint_conclusion": "late"}),
        ("PUT", f"{url}/sections/council", {"answers": ANSWERS}),
        ("POST", f"{url}/moderate", {"grade": "inadequate", "reason": "r"}),
        ("POST", f"{url}/submit", None),
        ("POST", f"{url}/close", None),
    ]:
        r, _ = await act(client, method, path, MODERATOR, etag, body)
        assert r.status_code == 409, (method, path)
        assert "locked" in r.json()["detail"]
    finding = {
        "audit_id": closed["audit_id"],
        "severity": "low",
        "description": "d",
        "owner": "Team manager",
        "agency": "council",
        "due_date": "2026-03-01",
    }
    assert (await client.post("/v1/findings", json=finding, headers=h(AUDITOR))).status_code == 409


async def test_multi_agency_each_agency_completes_its_section_and_the_conclusion_is_kept(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"], partners=("police", "ccg"))
    assert p["is_multi_agency"] is True
    made, etag = await audit(client, p["programme_id"])
    url = f"/v1/audits/{made['audit_id']}"
    assert sorted(s["agency"] for s in made["sections"]) == ["ccg", "council", "police"]
    r, etag = await act(
        client,
        "PUT",
        f"{url}/sections/council",
        AUDITOR,
        etag,
        {"answers": ANSWERS, "complete": True},
    )
    await ok(r)
    r, etag = await act(
        client, "PUT", f"{url}/sections/council", POLICE, etag, {"answers": ANSWERS}
    )
    assert r.status_code == 403  # police cannot fill the council's section
    r, etag = await act(client, "PATCH", url, AUDITOR, etag, {"grade": "good"})
    await ok(r)
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    assert r.status_code == 409
    assert r.json()["pending_agencies"] == ["ccg", "police"]
    for who in (POLICE, CCG):
        r, etag = await act(
            client,
            "PUT",
            f"{url}/sections/{who.agency}",
            who,
            etag,
            {"answers": {**ANSWERS, "q3": f"{who.agency} view"}, "grade": "good", "complete": True},
        )
        await ok(r)
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    assert r.status_code == 409
    assert "joint" in r.json()["detail"]
    r, etag = await act(
        client,
        "PATCH",
        url,
        AUDITOR,
        etag,
        {"joint_conclusion": "Agreed at MACSE: information sharing was timely."},
    )
    await ok(r)
    r, etag = await act(client, "POST", f"{url}/submit", POLICE, etag)
    assert r.status_code == 403  # only the lead agency submits
    r, etag = await act(client, "POST", f"{url}/submit", AUDITOR, etag)
    body = await ok(r)
    assert body["status"] == "submitted"
    assert body["joint_conclusion"].startswith("Agreed at MACSE")
    seen_by_police = await ok(await client.get(url, headers=h(POLICE)))
    assert {s["agency"]: s["is_complete"] for s in seen_by_police["sections"]} == {
        "ccg": True,
        "council": True,
        "police": True,
    }
    assert (await client.get(url, headers=h(PROBATION))).status_code == 404


async def test_rights_matrix_single_agency_audits_stay_with_their_agency(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    council_prog = await programme(client, t["tool_id"])
    police_prog = await programme(client, t["tool_id"], lead=POLICE)
    council_audit, _ = await audit(client, council_prog["programme_id"])
    police_audit, _ = await audit(client, police_prog["programme_id"], by=POLICE)
    joint = await programme(client, t["tool_id"], partners=("police",))
    joint_audit, _ = await audit(client, joint["programme_id"])
    matrix = {
        AUDITOR: {
            council_audit["audit_id"]: 200,
            police_audit["audit_id"]: 404,
            joint_audit["audit_id"]: 200,
        },
        POLICE: {
            council_audit["audit_id"]: 404,
            police_audit["audit_id"]: 200,
            joint_audit["audit_id"]: 200,
        },
        CCG: {
            council_audit["audit_id"]: 404,
            police_audit["audit_id"]: 404,
            joint_audit["audit_id"]: 404,
        },
        VIEWER: {
            council_audit["audit_id"]: 200,
            police_audit["audit_id"]: 404,
            joint_audit["audit_id"]: 200,
        },
    }
    for who, expected in matrix.items():
        for audit_id, status in expected.items():
            got = (await client.get(f"/v1/audits/{audit_id}", headers=h(who))).status_code
            assert got == status, (who.subject, audit_id)
        listed = await ok(await client.get("/v1/audits", headers=h(who)))
        assert {a["audit_id"] for a in listed["items"]} == {
            i for i, s in expected.items() if s == 200
        }
    client_without_scope = reader()  # a machine client with trail:read only
    assert (await client.get("/v1/audits", headers=as_(client_without_scope))).status_code == 403
    # a viewer reads but cannot start an audit
    body = {
        "programme_id": council_prog["programme_id"],
        "case_ref": "LCS-1",
        "team_code": "T1",
        "audit_date": "2026-01-01",
    }
    assert (await client.post("/v1/audits", json=body, headers=h(VIEWER))).status_code == 403


async def test_changes_to_audits_reach_the_trail_with_the_actor(client: httpx.AsyncClient) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    made, _ = await audit(client, p["programme_id"])
    events = await ok(
        await client.get(
            "/v1/trail",
            params={"entity_type": "audit", "entity_id": str(made["audit_id"])},
            headers=as_(reader()),
        )
    )
    assert [e["event_type"] for e in events["items"]] == ["audit.created"]
    assert events["items"][0]["who"]["subject"] == AUDITOR.subject
    assert "LCS-104233" not in str(events["items"][0]["payload"])
    await client.get(f"/v1/audits/{made['audit_id']}", headers=h(POLICE))  # not visible: 404
    await client.get(f"/v1/audits/{made['audit_id']}", headers=h(VIEWER))
    reads = await ok(
        await client.get(
            "/v1/trail",
            params={"event_type": "audit.read", "entity_id": str(made["audit_id"])},
            headers=as_(reader()),
        )
    )
    assert [e["who"]["subject"] for e in reads["items"]] == [VIEWER.subject]


async def test_a_retried_post_with_the_same_idempotency_key_creates_one_audit(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    body = {
        "programme_id": p["programme_id"],
        "case_ref": "LCS-77",
        "team_code": "T1",
        "audit_date": "2026-01-01",
    }
    headers = {**h(AUDITOR), "Idempotency-Key": "audit-77"}
    first = await client.post("/v1/audits", json=body, headers=headers)
    again = await client.post("/v1/audits", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["audit_id"] == first.json()["audit_id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await client.post("/v1/audits", json={**body, "team_code": "T2"}, headers=headers)
    assert other.status_code == 422
    listed = await ok(
        await client.get(
            "/v1/audits", params={"programme_id": p["programme_id"]}, headers=h(AUDITOR)
        )
    )
    assert listed["total"] == 1


async def test_nul_characters_and_oversized_ids_are_422s_not_database_errors(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    made, etag = await audit(client, p["programme_id"])
    url = f"/v1/audits/{made['audit_id']}"
    r, _ = await act(client, "PATCH", url, AUDITOR, etag, {"joint_conclusion": "a\x00b"})
    assert r.status_code == 422
    assert "joint_conclusion" in r.text
    assert (await client.get(f"/v1/audits/{2**63}", headers=h(AUDITOR))).status_code == 422
    assert (
        await client.get("/v1/audits", params={"team_code": "a\x00"}, headers=h(AUDITOR))
    ).status_code == 422
    body = {
        "programme_id": 2**70,
        "case_ref": "LCS-1",
        "team_code": "T",
        "audit_date": "2026-01-01",
    }
    assert (await client.post("/v1/audits", json=body, headers=h(AUDITOR))).status_code == 422
    trail = await client.get("/v1/trail", params={"entity_id": "x\x00"}, headers=as_(reader()))
    assert trail.status_code == 422


async def test_a_programme_changes_with_if_match_and_started_audits_keep_their_tool(
    client: httpx.AsyncClient,
) -> None:
    v1 = await tool(client)
    p = await programme(client, v1["tool_id"])
    started, _ = await audit(client, p["programme_id"])
    v2 = await tool(client)
    url = f"/v1/audit-programmes/{p['programme_id']}"
    read = await client.get(url, headers=h(AUDITOR))
    change = {
        "tool_id": v2["tool_id"],
        "participating_agencies": ["police"],
        "linked_actions": ["5B3"],
    }
    assert (await client.patch(url, json=change, headers=h(AUDITOR))).status_code == 428
    assert (
        await client.patch(url, json=change, headers=h(POLICE, read.headers["ETag"]))
    ).status_code == 403
    changed = await ok(
        await client.patch(url, json=change, headers=h(AUDITOR, read.headers["ETag"]))
    )
    assert changed["participating_agencies"] == ["council", "police"]
    assert changed["is_multi_agency"] is True
    assert (
        await client.patch(url, json=change, headers=h(AUDITOR, read.headers["ETag"]))
    ).status_code == 412
    later, _ = await audit(client, p["programme_id"])
    assert later["tool_id"] == v2["tool_id"]
    assert later["is_multi_agency"] is True
    kept = await ok(await client.get(f"/v1/audits/{started['audit_id']}", headers=h(AUDITOR)))
    assert (kept["tool_id"], kept["is_multi_agency"]) == (v1["tool_id"], False)
