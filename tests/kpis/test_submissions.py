"""Partner submissions: every rule, the row report, modes, revisions, CSV, idempotency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.kpis.conftest import (
    CCG_APPROVER,
    CCG_CLIENT,
    CCG_CONTRIBUTOR,
    COUNCIL_ANALYST,
    COUNCIL_MANAGER,
    COUNCIL_VIEWER,
    POLICE_CLIENT,
    as_,
)
from tests.kpis.helpers import publish, submit, transition

HV = {"indicator": "HV_6_8_WEEK", "period": "2017/18-Q1", "org_unit": "WIRRAL"}


async def test_accepted_rows_become_draft_values(client: httpx.AsyncClient) -> None:
    r = await submit(client, CCG_CLIENT, [HV | {"numerator": 163, "denominator": 200}])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "recorded"
    assert body["rows"] == [{"row": 1, "status": "accepted", "reasons": [], "revision": 1}]
    values = await client.get(
        "/v1/values", params={"indicator": "HV_6_8_WEEK"}, headers=as_(CCG_CLIENT)
    )
    item = values.json()["items"][0]
    assert item["value"] == "81.5000"
    assert (item["state"], item["revision"], item["source_agency"]) == ("draft", 1, "ccg")
    assert item["definition_version"] == 1
    assert item["approved_by"] is None


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (HV | {"indicator": "NOPE", "numerator": 1, "denominator": 2}, "indicator: unknown"),
        (HV | {"org_unit": "NOWHERE", "numerator": 1, "denominator": 2}, "org_unit: unknown"),
        (HV | {"period": "2099/00-Q1", "numerator": 1, "denominator": 2}, "period:"),
        (HV | {"period": "2099-00", "numerator": 1, "denominator": 2}, "period:"),
        (HV | {"period": "2099-5", "numerator": 1, "denominator": 2}, "period:"),
        (HV | {"period": "2040/41-Q1", "numerator": 1, "denominator": 2}, "not complete"),
        (HV | {"period": "2017-05", "numerator": 1, "denominator": 2}, "takes no month"),
        (HV | {"numerator": 3, "denominator": 2}, "numerator must not exceed"),
        (HV | {"numerator": -1, "denominator": 2}, "must not be negative"),
        (HV | {"numerator": 1}, "needs numerator and denominator"),
        (HV | {"numerator": 1, "denominator": 0}, "greater than zero"),
        (HV | {"numerator": 1, "denominator": 2, "value": 50.2}, "does not match"),
    ],
)
async def test_each_rule_rejects_and_writes_nothing(
    client: httpx.AsyncClient, row: dict[str, Any], reason: str
) -> None:
    good = {"indicator": "CAMHS_REFERRALS", "period": "2017-05", "org_unit": "WIRRAL", "value": 12}
    r = await submit(client, CCG_CLIENT, [good, row])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["outcome"] == "rejected"
    assert body["status"] == 422
    assert body["rejected"] == 1
    assert body["rows"][0]["status"] == "accepted"
    assert body["rows"][1]["status"] == "rejected"
    assert any(reason in text for text in body["rows"][1]["reasons"]), body["rows"][1]
    values = await client.get("/v1/values", headers=as_(CCG_CLIENT))
    assert values.json()["total"] == 0


@pytest.mark.parametrize(("value", "reason"), [(-3, "negative"), (2.5, "whole number")])
async def test_counts_are_non_negative_whole_numbers(
    client: httpx.AsyncClient, value: float, reason: str
) -> None:
    row = {
        "indicator": "CAMHS_REFERRALS",
        "period": "2017-05",
        "org_unit": "WIRRAL",
        "value": value,
    }
    r = await submit(client, CCG_CLIENT, [row])
    assert r.status_code == 422
    assert reason in r.json()["rows"][0]["reasons"][0]


async def test_only_the_source_agency_or_council_performance_staff(
    client: httpx.AsyncClient,
) -> None:
    row = HV | {"numerator": 1, "denominator": 2}
    r = await submit(client, POLICE_CLIENT, [row])
    assert r.status_code == 422
    assert "only ccg submits" in r.json()["rows"][0]["reasons"][0]
    assert (await submit(client, COUNCIL_MANAGER, [row])).status_code == 201
    r = await submit(client, COUNCIL_VIEWER, [row])
    assert r.status_code == 403


async def test_partial_mode_keeps_good_rows(client: httpx.AsyncClient) -> None:
    rows = [HV | {"numerator": 1, "denominator": 2}, HV | {"org_unit": "NOPE", "numerator": 1}]
    r = await submit(client, CCG_CLIENT, rows, mode="partial")
    assert r.status_code == 201
    assert [x["status"] for x in r.json()["rows"]] == ["accepted", "rejected"]
    values = await client.get("/v1/values", headers=as_(CCG_CLIENT))
    assert values.json()["total"] == 1


async def test_dry_run_writes_nothing(client: httpx.AsyncClient) -> None:
    r = await submit(client, CCG_CLIENT, [HV | {"numerator": 1, "denominator": 2}], dry_run=True)
    assert r.status_code == 200
    assert r.json()["status"] == "checked"
    assert r.json()["accepted"] == 1
    assert (await client.get("/v1/values", headers=as_(CCG_CLIENT))).json()["total"] == 0


async def test_duplicate_key_in_one_batch(client: httpx.AsyncClient) -> None:
    row = HV | {"numerator": 1, "denominator": 2}
    r = await submit(client, CCG_CLIENT, [row, row])
    assert r.status_code == 422
    assert r.json()["rows"][1]["reasons"] == ["duplicate of row 1"]


async def test_resubmission_makes_revisions_never_overwrites(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CLIENT, [HV | {"numerator": 1, "denominator": 2}])
    same = await submit(client, CCG_CLIENT, [HV | {"numerator": 1, "denominator": 2}])
    assert same.json()["rows"][0] == {"row": 1, "status": "unchanged", "reasons": [], "revision": 1}
    changed = await submit(client, CCG_CLIENT, [HV | {"numerator": 3, "denominator": 4}])
    assert changed.json()["rows"][0]["revision"] == 2
    history = await client.get(
        "/v1/values", params={"indicator": "HV_6_8_WEEK", "history": True}, headers=as_(CCG_CLIENT)
    )
    revisions = sorted(
        (i["revision"], i["is_current"], i["value"]) for i in history.json()["items"]
    )
    assert revisions == [(1, False, "50.0000"), (2, True, "75.0000")]


async def test_published_values_are_locked_until_reopened(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 1, "denominator": 2}])
    await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    r = await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 2, "denominator": 3}])
    assert r.status_code == 422
    assert "locked" in r.json()["rows"][0]["reasons"][0]
    reopened = await transition(
        client, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1", "reopen", "wrong denominator"
    )
    assert reopened.status_code == 200, reopened.text
    r = await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 2, "denominator": 3}])
    assert r.status_code == 201
    assert r.json()["rows"][0]["revision"] == 2


async def test_csv_with_the_same_columns(client: httpx.AsyncClient) -> None:
    text = (
        "indicator,period,org_unit,value,numerator,denominator,comment\n"
        "HV_6_8_WEEK,2017/18-Q1,WIRRAL,,163,200,first quarter\n"
        "HV_12_MONTH,2017/18-Q1,WIRRAL,,abc,200,\n"
    )
    headers = as_(CCG_CLIENT) | {"Content-Type": "text/csv"}
    r = await client.post("/v1/submissions", content=text, headers=headers)
    assert r.status_code == 422
    rows = r.json()["rows"]
    assert rows[0]["status"] == "accepted"
    assert rows[1]["status"] == "rejected"
    assert rows[1]["reasons"][0].startswith("numerator")
    ok = await client.post(
        "/v1/submissions", content=text, headers=headers, params={"mode": "partial"}
    )
    assert ok.status_code == 201
    assert ok.json()["accepted"] == 1


async def test_idempotency_key_replays_the_first_answer(client: httpx.AsyncClient) -> None:
    body = {"rows": [HV | {"numerator": 1, "denominator": 2}]}
    headers = as_(CCG_CLIENT) | {"Idempotency-Key": "batch-1"}
    first = await client.post("/v1/submissions", json=body, headers=headers)
    again = await client.post("/v1/submissions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other = await client.post(
        "/v1/submissions", json={"rows": [HV | {"numerator": 2, "denominator": 2}]}, headers=headers
    )
    assert other.status_code == 422


async def test_malformed_body_is_a_problem_naming_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/submissions",
        json={
            "rows": [
                {"indicator": "X", "period": "2017-05", "org_unit": "W", "secret": "do-not-echo"}
            ]
        },
        headers=as_(CCG_CLIENT),
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    # the row report names the row and the field (rows are judged one by one)
    [row] = r.json()["rows"]
    assert (row["row"], row["status"]) == (1, "rejected")
    assert any(reason.startswith("secret:") for reason in row["reasons"])
    assert "do-not-echo" not in r.text
    assert COUNCIL_ANALYST.agency == "council"


async def test_a_recorded_submission_can_be_read_back_by_its_agency(
    client: httpx.AsyncClient,
) -> None:
    r = await submit(client, CCG_CLIENT, [HV | {"numerator": 1, "denominator": 2}])
    submission_id = r.json()["submission_id"]
    mine = await client.get(f"/v1/submissions/{submission_id}", headers=as_(CCG_CONTRIBUTOR))
    assert mine.status_code == 200
    assert (mine.json()["accepted"], mine.json()["agency"]) == (1, "ccg")
    other = await client.get(f"/v1/submissions/{submission_id}", headers=as_(POLICE_CLIENT))
    assert other.status_code == 404
