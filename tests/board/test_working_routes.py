"""The status routes: shape, rule version, evidence links, and who sees which status.

The evidence here is a fixed set of gateway answers (the documents the other services
return, in their shapes), so the rights and the wiring are checked without a running
gateway; tests/e2e/test_board_journey.py reads the real platform through the gateway.
"""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from services.board.working import rule
from services.board.working.service import EvidenceCache
from tests.board.answers import Answers
from tests.board.conftest import CLERK, VIEWER, as_
from tests.support.tokens import auth_header, caller

PROBATION = caller("probation", ("viewer",), subject="po")
CLIENT_POLICE = caller("police", (), ("board:read",), subject="police-system", kind="client")
NO_SCOPE = caller("police", (), ("actions:read",), subject="police-other", kind="client")


def _wire(app: FastAPI) -> Answers:
    answers = Answers()
    app.state.evidence = EvidenceCache(answers, "WIRRAL", 60)
    return answers


async def test_criteria_statuses_carry_the_rule_version_reasons_and_links(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    answers = _wire(board_app)
    r = await client.get("/v1/board/criteria-status", headers=as_(CLERK))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rule_version"] == rule.RULE_VERSION
    by_code = {s["code"]: s for s in body["items"]}
    front = by_code["1A"]
    assert front["status"] == "working"  # 85 ≥ 80 (the submitted 10 is not published)
    assert front["rule_version"] == rule.RULE_VERSION
    links = {(e["kind"], e["id"], e["href"]) for x in front["reasons"] for e in x["evidence"]}
    assert ("release", "2b1c-release", "/v1/releases/2b1c-release") in links
    assert ("action", "11", "/v1/actions/11") in links
    assert front["declared_rag"] == "amber"
    assert front["disagrees"] is False
    empty = by_code["1B"]
    assert empty["status"] == "no evidence"
    assert empty["declared_rag"] == "green"
    assert empty["disagrees"] is True
    # one page of one: the total and the summary still count every status
    assert body["total"] == len(body["items"]) >= 2
    assert sum(body["by_status"].values()) == body["total"]
    one = (
        await client.get(
            "/v1/board/criteria-status", params={"limit": 1, "offset": 1}, headers=as_(CLERK)
        )
    ).json()
    assert [s["code"] for s in one["items"]] == [s["code"] for s in body["items"][1:2]]
    assert (one["total"], one["limit"], one["offset"]) == (body["total"], 1, 1)
    assert one["by_status"] == body["by_status"]
    assert body["by_status"]["working"] == 1
    assert body["by_status"]["no evidence"] == 1
    # the published values (release ids) are read at the authority
    assert ("/v1/values", {"indicator": "CONTACTS", "org_unit": "WIRRAL"}) in answers.asked


async def test_one_criterion_and_an_unknown_one(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    _wire(board_app)
    r = await client.get("/v1/board/criteria/1/status", headers=as_(CLERK))
    assert r.status_code == 200
    assert r.json()["code"] == "1A"
    r = await client.get("/v1/board/criteria/99/status", headers=as_(CLERK))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_recommendation_without_an_action_is_no_evidence(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    _wire(board_app)
    r = await client.get("/v1/board/recommendations-status", headers=as_(CLERK))
    assert r.status_code == 200, r.text
    by_code = {s["code"]: s["status"] for s in r.json()["items"]}
    assert by_code == {"ofsted 1": "working", "ofsted 10": "no evidence"}


async def test_partners_see_the_statuses_of_what_they_take_part_in(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    _wire(board_app)
    police = await client.get("/v1/board/criteria-status", headers=as_(VIEWER))
    assert [s["code"] for s in police.json()["items"]] == ["1A"]  # police contribute to 1A1
    r = await client.get("/v1/board/criteria/2/status", headers=as_(VIEWER))
    assert r.status_code == 404  # not theirs: indistinguishable from no such criterion
    probation = await client.get("/v1/board/criteria-status", headers=as_(PROBATION))
    assert probation.json()["items"] == []
    system = await client.get(
        "/v1/board/criteria-status",
        headers=auth_header(CLIENT_POLICE, "board"),
    )
    assert [s["code"] for s in system.json()["items"]] == ["1A"]
    refused = await client.get("/v1/board/criteria-status", headers=auth_header(NO_SCOPE, "board"))
    assert refused.status_code == 403


async def test_the_rule_is_served_with_its_version(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    r = await client.get("/v1/board/status-rule", headers=as_(VIEWER))
    assert r.status_code == 200
    assert r.json()["rule_version"] == rule.RULE_VERSION
    assert "no evidence" in r.json()["text"]


async def test_evidence_is_read_once_within_its_time(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    answers = _wire(board_app)
    await client.get("/v1/board/criteria-status", headers=as_(CLERK))
    first = len(answers.asked)
    await client.get("/v1/board/recommendations-status", headers=as_(CLERK))
    assert len(answers.asked) == first


async def test_a_closed_edition_is_history_not_judged_again(
    board_app: FastAPI, client: httpx.AsyncClient
) -> None:
    """After a refresh the closed edition keeps its criteria, actions and recommendations;
    the board judges the live edition only (each criterion once), and counts what it left."""
    from tests.board.answers import ACTIONS, ANSWERS, CRITERIA

    def edition(rows: list[dict[str, object]], key: str, shift: int) -> list[dict[str, object]]:
        return [{**r, key: int(str(r[key])) + shift, "plan_id": 2} for r in rows]

    live_criteria = edition(CRITERIA, "criterion_id", 100)
    live_actions = edition(ACTIONS, "action_id", 100)
    live_recs = edition(ANSWERS["/v1/recommendations"], "recommendation_id", 100)
    answers = Answers(
        {
            "/v1/plans": [{"plan_id": 1, "status": "closed"}, {"plan_id": 2, "status": "active"}],
            "/v1/success-criteria": CRITERIA + live_criteria,
            "/v1/actions": ACTIONS + live_actions,
            "/v1/recommendations": ANSWERS["/v1/recommendations"] + live_recs,
        }
    )
    board_app.state.evidence = EvidenceCache(answers, "WIRRAL", 60)
    criteria = (await client.get("/v1/board/criteria-status", headers=as_(CLERK))).json()
    assert sorted((s["plan_id"], s["id"]) for s in criteria["items"]) == sorted(
        (2, int(str(c["criterion_id"]))) for c in live_criteria
    )
    recs = (await client.get("/v1/board/recommendations-status", headers=as_(CLERK))).json()
    assert {s["plan_id"] for s in recs["items"]} == {2}
    assert len(recs["items"]) == len(live_recs)
