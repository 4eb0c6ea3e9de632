"""Partner journeys through the gateway, every process real (issue 8, item 1).

For a month of the plan: the council's case-management export is imported, published and
shown with RAG under a release that verifies; the CCG's figures reach the police only once
published; probation reports on its steps and the board counts it; an auditor runs a
multi-agency audit to a closed finding; the trail holds each change with its actor.

The tests share one platform (``conftest.platform``) and run in file order; what each one
changed is noted in ``SEEN`` for the trail test at the end.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import Api, wait_for
from tests.support.database import SAMPLE_DATA

pytestmark = pytest.mark.e2e

ANNEX_A = SAMPLE_DATA / "annex-a" / "Annex_A_sample.xlsx"
SEEN: dict[str, Any] = {}
TODAY = datetime.now(UTC).date()


def _period(api: Api, who: str, indicator: str, period: str) -> tuple[dict[str, Any], str]:
    r = api.call(
        who, "GET", "/v1/values/periods", params={"indicator": indicator, "period": period}
    )
    assert r.status_code == 200, r.text
    return r.json(), r.headers["ETag"]


def _move(api: Api, who: str, indicator: str, period: str, action: str) -> dict[str, Any]:
    _, etag = _period(api, who, indicator, period)
    body = {"indicator": indicator, "period": period, "action": action}
    result: dict[str, Any] = api.ok(
        who, "POST", "/v1/values/transitions", json=body, headers={"If-Match": etag}
    )
    return result


def _values(api: Api, who: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.ok(who, "GET", "/v1/values", params=params)["items"]
    return items


def _problem(r: Any, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_council_import_is_published_shown_with_rag_and_its_release_verifies(api: Api) -> None:
    manager, approver = "demo.plan-manager", "demo.approver"
    target = {"indicator_code": "ICPC_15WD", "financial_year": 2020, "value": 85}
    # performance staff set targets; through the gateway only the admin may (see the report)
    api.ok("demo.admin", "PUT", "/v1/targets", json=target | {"amber_tolerance": 5})

    upload = api.call(
        manager,
        "POST",
        "/v1/imports",
        data={"kind": "annex_a", "population": "60000"},
        files=[("files", ("Annex_A.xlsx", ANNEX_A.read_bytes()))],
    )
    assert upload.status_code == 202, upload.text
    job_id = upload.json()["id"]
    job = wait_for(
        lambda: (
            j
            if (j := api.ok(manager, "GET", f"/v1/imports/{job_id}"))["status"]
            not in ("queued", "running")
            else None
        ),
        timeout_s=90,
        what="the import to finish",
    )
    assert job["status"] == "succeeded", job["report"]
    assert job["report"]["error_count"] == 0
    SEEN["import"] = job_id

    key = {"indicator": "ICPC_15WD", "period": "2020-10"}
    drafts = _values(api, manager, **key, org_unit="WIRRAL")
    assert [(v["state"], Decimal(v["value"])) for v in drafts] == [("draft", Decimal(100))]
    assert _values(api, "demo-police", **key) == []  # unpublished: not the police's to see

    assert _move(api, manager, key["indicator"], key["period"], "submit")["state"] == "submitted"
    published = _move(api, approver, key["indicator"], key["period"], "approve")
    assert (published["state"], published["approved_by"]) == ("approved", approver)
    SEEN["release"] = published["release_id"]

    public = _values(api, "demo-police", **key)
    assert public
    assert {v["state"] for v in public} == {"approved"}
    # per-worker figures stay with council managers who give a purpose
    assert not [v["org_unit"] for v in public if v["org_unit"].startswith("W-")]
    assert "worker" not in {v["org_unit_level"] for v in _values(api, manager, **key)}
    why = {"purpose": "monthly performance clinic"}
    assert "worker" in {v["org_unit_level"] for v in _values(api, manager, **key, **why)}

    board = api.ok("demo-police", "GET", "/v1/dashboard")
    tile = next(i for i in board["items"] if i["indicator"] == "ICPC_15WD")
    assert (tile["period"], Decimal(tile["value"]), tile["rag"]) == ("2020-10", 100, "green")

    release = api.ok("demo-police", "GET", f"/v1/releases/{published['release_id']}")
    assert release["valid"]
    assert release["signature_valid"]
    assert release["values_match"]
    # every published value is accounted for: listed, or a worker's (never in a release)
    left_out = release["manifest"]["worker_values_not_listed"]
    assert release["value_count"] + left_out == published["value_count"] >= 1
    assert left_out >= 1


def test_ccg_figures_reach_the_police_only_once_published(api: Api) -> None:
    nurse_lead = api.person("e2e.ccg.approver", "ccg", ["approver"])
    key = {"indicator": "HV_6_8_WEEK", "period": "2020/21-Q2"}
    row = key | {"org_unit": "WIRRAL", "numerator": 170, "denominator": 200}
    posted = api.ok(
        "demo-ccg",
        "POST",
        "/v1/submissions",
        201,
        json={"rows": [row]},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert posted is not None
    assert _values(api, "demo-police", **key) == []
    assert [v["state"] for v in _values(api, "demo-ccg", **key)] == ["draft"]

    _move(api, "demo-ccg", key["indicator"], key["period"], "submit")
    assert _values(api, "demo-police", **key) == []  # submitted is not published either
    # a council approver sees the CCG's figures but may not publish them
    _, etag = _period(api, "demo.approver", key["indicator"], key["period"])
    refused = api.call(
        "demo.approver",
        "POST",
        "/v1/values/transitions",
        json=key | {"action": "approve"},
        headers={"If-Match": etag},
    )
    _problem(refused, 403)
    published = _move(api, nurse_lead, key["indicator"], key["period"], "approve")
    assert published["approved_by"] == nurse_lead

    seen = _values(api, "demo-police", **key)
    assert [(v["state"], Decimal(v["value"]), v["approved_by"]) for v in seen] == [
        ("approved", Decimal(85), nurse_lead)
    ]
    assert seen[0]["release_id"] == published["release_id"]
    SEEN["ccg_approver"] = nurse_lead


def _action(api: Api, ref: str) -> tuple[dict[str, Any], str]:
    found = api.ok("demo-probation", "GET", "/v1/actions", params={"ref": ref})["items"]
    assert len(found) == 1, found
    r = api.call("demo-probation", "GET", f"/v1/actions/{found[0]['action_id']}")
    assert r.status_code == 200, r.text
    return r.json(), r.headers["ETag"]


def test_probation_reports_progress_police_may_not_and_the_board_counts_it(api: Api) -> None:
    before = {a["agency"]: a for a in api.ok("demo.viewer", "GET", "/v1/board-summary")["agencies"]}
    updated = []
    for ref, step in (("1A1", 4), ("2B1", 2)):
        action, etag = _action(api, ref)
        assert "probation" in action["contributing_agencies"]
        body = {
            "narrative": f"Probation's part of {ref} is under way",
            "percent_complete": 40,
            "declared_rag": "green",
            "step_number": step,
        }
        key = str(uuid.uuid4())
        headers = {"If-Match": etag, "Idempotency-Key": key}
        path = f"/v1/actions/{action['action_id']}/updates"
        first = api.ok("demo-probation", "POST", path, 201, json=body, headers=headers)
        assert (first["author"], first["agency"], first["step_number"]) == (
            "demo-probation",
            "probation",
            step,
        )
        again = api.ok("demo-probation", "POST", path, 201, json=body, headers=headers)
        assert again["update_id"] == first["update_id"]  # a retried post is not a second one
        updates = api.ok("demo.viewer", "GET", path)["items"]
        assert [u["update_id"] for u in updates].count(first["update_id"]) == 1
        updated.append(action["action_id"])

        # police neither leads nor contributes: no update, no change
        _, etag = _action(api, ref)
        refused = api.call(
            "demo-police", "POST", path, json=body | {"step_number": 1}, headers={"If-Match": etag}
        )
        _problem(refused, 403)

    council_only = next(
        a
        for a in api.ok("demo-police", "GET", "/v1/actions", params={"agency": "council"})["items"]
        if a["lead_agency"] == "council" and not a["contributing_agencies"]
    )
    detail = api.call("demo-police", "GET", f"/v1/actions/{council_only['action_id']}")
    refused = api.call(
        "demo-police",
        "POST",
        f"/v1/actions/{council_only['action_id']}/updates",
        json={"narrative": "not ours", "percent_complete": 10, "declared_rag": "amber"},
        headers={"If-Match": detail.headers["ETag"]},
    )
    _problem(refused, 403)
    assert (
        api.ok("demo.viewer", "GET", f"/v1/actions/{council_only['action_id']}")["version"]
        == detail.json()["version"]
    )

    after = {a["agency"]: a for a in api.ok("demo.viewer", "GET", "/v1/board-summary")["agencies"]}
    for agency in ("probation", "council"):
        assert after[agency]["total"] == before[agency]["total"]
        assert after[agency]["declared_rag"]["green"] == before[agency]["declared_rag"]["green"] + 2
        assert (
            after[agency]["by_status"]["in_progress"]
            == before[agency]["by_status"]["in_progress"] + 2
        )
    SEEN["actions"] = updated


def _audit(api: Api, who: str, audit_id: int) -> tuple[dict[str, Any], str]:
    r = api.call(who, "GET", f"/v1/audits/{audit_id}")
    assert r.status_code == 200, r.text
    return r.json(), r.headers["ETag"]


ANSWERS = {"J1": True, "J2": True, "J3": "good", "P1": "good", "P2": "good", "P3": "good"}


def test_multi_agency_audit_to_a_rechecked_and_closed_finding(api: Api) -> None:
    lead = "demo.auditor"
    people = {
        "council": lead,
        "police": api.person("e2e.police.auditor", "police", ["auditor"]),
        "ccg": api.person("e2e.ccg.auditor", "ccg", ["auditor"]),
    }
    moderator = api.person("e2e.council.moderator", "council", ["auditor"])
    programme = api.ok(
        lead,
        "POST",
        "/v1/audit-programmes",
        201,
        json={
            "title": "Multi-agency front door audit",
            "tool_id": 1,
            "scope": "Contacts from the police and health to the MASH",
            "sampling_rule": "ten cases a month at random",
            "sample_size": 10,
            "schedule": "monthly",
            "lead_agency": "council",
            "participating_agencies": ["police", "ccg"],
            "linked_actions": ["1A1"],
        },
    )
    audit = api.ok(
        lead,
        "POST",
        "/v1/audits",
        201,
        json={
            "programme_id": programme["programme_id"],
            "case_ref": "LCS-104233",
            "team_code": "MASH",
            "audit_date": str(TODAY - timedelta(days=1)),
        },
    )
    audit_id = audit["audit_id"]
    assert audit["is_multi_agency"]
    assert sorted(s["agency"] for s in audit["sections"]) == ["ccg", "council", "police"]

    _, etag = _audit(api, lead, audit_id)
    wrong = api.call(
        people["police"],
        "PUT",
        f"/v1/audits/{audit_id}/sections/ccg",
        json={"answers": {"J1": True}},
        headers={"If-Match": etag},
    )
    _problem(wrong, 403)  # each agency answers its own section only
    for agency, who in people.items():
        _, etag = _audit(api, who, audit_id)
        section = api.ok(
            who,
            "PUT",
            f"/v1/audits/{audit_id}/sections/{agency}",
            json={
                "answers": ANSWERS | {"P4": "effective"},
                "grade": "good",
                "complete": True,
            },
            headers={"If-Match": etag},
        )
        mine = next(s for s in section["sections"] if s["agency"] == agency)
        assert mine["is_complete"]
        assert mine["completed_by"] == who

    _, etag = _audit(api, lead, audit_id)
    api.ok(
        lead,
        "PATCH",
        f"/v1/audits/{audit_id}",
        json={"grade": "good", "joint_conclusion": "Timely, well-shared decision at the door"},
        headers={"If-Match": etag},
    )
    _, etag = _audit(api, lead, audit_id)
    api.ok(lead, "POST", f"/v1/audits/{audit_id}/submit", headers={"If-Match": etag})
    _, etag = _audit(api, lead, audit_id)
    own = api.call(
        lead,
        "POST",
        f"/v1/audits/{audit_id}/moderate",
        json={"grade": "good"},
        headers={"If-Match": etag},
    )
    _problem(own, 403)  # the auditor may not moderate their own audit
    api.ok(
        moderator,
        "POST",
        f"/v1/audits/{audit_id}/moderate",
        json={"grade": "good"},
        headers={"If-Match": etag},
    )

    finding = api.ok(
        lead,
        "POST",
        "/v1/findings",
        201,
        json={
            "audit_id": audit_id,
            "severity": "medium",
            "description": "Police contacts wait a day for a MASH decision",
            "owner": "MASH team manager",
            "agency": "council",
            "due_date": str(TODAY + timedelta(days=30)),
            "plan_action_ref": "1A1",
        },
    )
    assert finding["plan_action_ref"] == "1A1"
    _, etag = _audit(api, moderator, audit_id)
    api.ok(moderator, "POST", f"/v1/audits/{audit_id}/close", headers={"If-Match": etag})
    closed, _ = _audit(api, lead, audit_id)
    assert (closed["status"], closed["final_grade"], closed["moderator_subject"]) == (
        "closed",
        "good",
        moderator,
    )

    path = f"/v1/findings/{finding['finding_id']}"
    for step in (
        {"to": "action_agreed", "action": "Daily police triage slot in the MASH"},
        {"to": "done", "done_on": str(TODAY), "recheck_due_date": str(TODAY + timedelta(days=7))},
        {"to": "rechecked", "outcome": "effective", "notes": "Decisions within the day now"},
        {"to": "closed"},
    ):
        who = moderator if step["to"] == "rechecked" else lead  # someone else re-checks
        etag = api.call(who, "GET", path).headers["ETag"]
        moved = api.ok(who, "POST", path + "/transitions", json=step, headers={"If-Match": etag})
        assert moved["status"] == step["to"]
    final = api.ok(people["police"], "GET", path)  # a participating agency sees it
    assert (final["status"], final["recheck_outcome"], final["rechecked_by"]) == (
        "closed",
        "effective",
        moderator,
    )
    SEEN["audit"] = (audit_id, people, moderator)
    SEEN["finding"] = finding["finding_id"]


def _events(api: Api, entity_type: str, entity_id: str) -> list[tuple[str, str]]:
    return [
        (e["event_type"], e["who"]["subject"])
        for e in api.trail(entity_type=entity_type, entity_id=entity_id)
    ]


def test_the_trail_holds_every_change_with_its_actor_and_verifies(api: Api) -> None:
    if {"import", "release", "actions", "audit", "finding", "ccg_approver"} - SEEN.keys():
        pytest.skip("the journeys above did not all run")
    expected: dict[tuple[str, str], set[tuple[str, str]]] = {
        ("indicator_period", "ICPC_15WD:2020-10"): {
            ("indicator_period.submitted", "demo.plan-manager"),
            ("indicator_period.approved", "demo.approver"),
        },
        ("indicator_period", "HV_6_8_WEEK:2020/21-Q2"): {
            ("indicator_period.submitted", "demo-ccg"),
            ("indicator_period.approved", SEEN["ccg_approver"]),
        },
        ("import", SEEN["import"]): {
            ("import.queued", "demo.plan-manager"),
            ("import.succeeded", "demo.plan-manager"),
        },
    }
    for action_id in SEEN["actions"]:
        expected[("action", str(action_id))] = {("action.progress_reported", "demo-probation")}
    audit_id, people, moderator = SEEN["audit"]
    expected[("audit", str(audit_id))] = {
        ("audit.section_updated", who) for who in people.values()
    } | {
        ("audit.submitted", people["council"]),
        ("audit.moderated", moderator),
        ("audit.closed", moderator),
    }
    finding_events = {
        ("finding.created", people["council"]),
        ("finding.status_changed", people["council"]),
    }
    expected[("finding", str(SEEN["finding"]))] = finding_events

    def missing() -> dict[tuple[str, str], set[tuple[str, str]]]:
        gaps = {k: want - set(_events(api, *k)) for k, want in expected.items()}
        return {k: v for k, v in gaps.items() if v}

    wait_for(lambda: not missing(), timeout_s=60, what="the relays to deliver")
    assert missing() == {}
    for action_id in SEEN["actions"]:  # the retried post did not report twice
        kinds = [kind for kind, _ in _events(api, "action", str(action_id))]
        assert kinds.count("action.progress_reported") == 1
    verdict = api.ok("demo.admin", "GET", "/v1/trail/verify")
    assert verdict["valid"] is True, verdict
