"""Four-eyes approval, publication, lock and reopen, transitions kept and sent to the trail."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.kpis.conftest import (
    CCG_APPROVER,
    CCG_CLIENT,
    CCG_CONTRIBUTOR,
    COUNCIL_APPROVER,
    POLICE_CLIENT,
    as_,
)
from tests.kpis.helpers import submit, transition
from tests.support.tokens import caller

HV = {"indicator": "HV_6_8_WEEK", "period": "2017/18-Q1", "org_unit": "WIRRAL"}
IND, PERIOD = "HV_6_8_WEEK", "2017/18-Q1"


async def test_full_cycle_with_watermark(client: httpx.AsyncClient, session: AsyncSession) -> None:
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 163, "denominator": 200}])
    r = await transition(client, CCG_CONTRIBUTOR, IND, PERIOD, "submit")
    assert r.status_code == 200
    assert r.json()["state"] == "submitted"
    r = await transition(client, CCG_APPROVER, IND, PERIOD, "approve")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved"
    assert r.json()["release_id"]
    value = (
        await client.get("/v1/values", params={"indicator": IND}, headers=as_(POLICE_CLIENT))
    ).json()
    item = value["items"][0]
    assert item["state"] == "approved"
    assert item["approved_by"] == CCG_APPROVER.subject
    assert item["approved_at"]
    assert item["release_id"] == r.json()["release_id"]
    assert (item["source_agency"], item["definition_version"], item["revision"]) == ("ccg", 1, 1)
    kept = await session.execute(
        text("SELECT from_state, to_state FROM kpis.value_transition ORDER BY transition_id")
    )
    assert [tuple(x) for x in kept.all()] == [
        (None, "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]
    events = await session.scalars(text("SELECT event_type FROM kpis.outbox ORDER BY seq"))
    assert {
        "indicator_values.recorded",
        "indicator_period.submitted",
        "indicator_period.approved",
    } <= set(events.all())


async def test_four_eyes(client: httpx.AsyncClient) -> None:
    both = caller("ccg", ("contributor", "approver"), subject="nurse-both")
    await submit(client, both, [HV | {"numerator": 1, "denominator": 2}])
    assert (await transition(client, CCG_CONTRIBUTOR, IND, PERIOD, "submit")).status_code == 200
    r = await transition(client, both, IND, PERIOD, "approve")
    assert r.status_code == 403
    assert "four eyes" in r.json()["detail"]
    assert (await transition(client, CCG_APPROVER, IND, PERIOD, "approve")).status_code == 200


async def test_submitter_may_not_approve(client: httpx.AsyncClient) -> None:
    both = caller("ccg", ("contributor", "approver"), subject="nurse-both")
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 1, "denominator": 2}])
    assert (await transition(client, both, IND, PERIOD, "submit")).status_code == 200
    assert (await transition(client, both, IND, PERIOD, "approve")).status_code == 403


async def test_only_an_approver_of_the_source_agency(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CLIENT, [HV | {"numerator": 1, "denominator": 2}])
    await transition(client, CCG_CLIENT, IND, PERIOD, "submit")
    # council approver sees CCG's unpublished values (manager) but may not approve them
    assert (await transition(client, COUNCIL_APPROVER, IND, PERIOD, "approve")).status_code == 403
    assert (await transition(client, CCG_CONTRIBUTOR, IND, PERIOD, "approve")).status_code == 403
    # police cannot even see the unpublished period
    assert (await transition(client, POLICE_CLIENT, IND, PERIOD, "approve")).status_code == 404


async def test_wrong_order_and_reopen_needs_reason(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 1, "denominator": 2}])
    assert (await transition(client, CCG_APPROVER, IND, PERIOD, "approve")).status_code == 409
    await transition(client, CCG_CONTRIBUTOR, IND, PERIOD, "submit")
    await transition(client, CCG_APPROVER, IND, PERIOD, "approve")
    assert (await transition(client, CCG_APPROVER, IND, PERIOD, "reopen")).status_code == 422
    r = await transition(client, CCG_APPROVER, IND, PERIOD, "reopen", "denominator was wrong")
    assert r.status_code == 200
    assert r.json()["reopen_reason"] == "denominator was wrong"
    # a correction is a new revision, then submitted and approved again by someone else
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 2, "denominator": 3}])
    await transition(client, CCG_CONTRIBUTOR, IND, PERIOD, "submit")
    again = await transition(client, CCG_APPROVER, IND, PERIOD, "approve")
    assert again.status_code == 200


async def test_if_match_is_required_and_checked(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 1, "denominator": 2}])
    body = {"indicator": IND, "period": PERIOD, "action": "submit"}
    r = await client.post("/v1/values/transitions", json=body, headers=as_(CCG_CONTRIBUTOR))
    assert r.status_code == 428
    stale = as_(CCG_CONTRIBUTOR) | {"If-Match": '"period-0-x-v99"'}
    r = await client.post("/v1/values/transitions", json=body, headers=stale)
    assert r.status_code == 412


async def test_new_values_return_a_submitted_period_to_draft(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 1, "denominator": 2}])
    await transition(client, CCG_CONTRIBUTOR, IND, PERIOD, "submit")
    await submit(client, CCG_CONTRIBUTOR, [HV | {"numerator": 2, "denominator": 2}])
    status = await client.get(
        "/v1/values/periods", params={"indicator": IND, "period": PERIOD}, headers=as_(CCG_APPROVER)
    )
    assert status.json()["state"] == "draft"
