"""People are named by subject, not by the front-end client they logged in through.

Regression (found by the end-to-end journeys): every person's token carries the gateway's
web client id, so values, submissions and approvals were all recorded as that client and a
council approver could never approve figures another person had submitted (four eyes).
"""

from __future__ import annotations

from dataclasses import replace

import httpx

from tests.kpis.conftest import CCG_APPROVER, CCG_CONTRIBUTOR, as_
from tests.kpis.helpers import submit, transition

HV = {"indicator": "HV_6_8_WEEK", "period": "2017/18-Q1", "org_unit": "WIRRAL"}
IND, PERIOD = "HV_6_8_WEEK", "2017/18-Q1"
CONTRIBUTOR = replace(CCG_CONTRIBUTOR, client_id="platform-web")
APPROVER = replace(CCG_APPROVER, client_id="platform-web")


async def test_people_of_one_front_end_are_told_apart(client: httpx.AsyncClient) -> None:
    await submit(client, CONTRIBUTOR, [HV | {"numerator": 163, "denominator": 200}])
    r = await transition(client, CONTRIBUTOR, IND, PERIOD, "submit")
    assert r.status_code == 200, r.text
    assert r.json()["submitted_by"] == CONTRIBUTOR.subject
    r = await transition(client, APPROVER, IND, PERIOD, "approve")
    assert r.status_code == 200, r.text
    assert r.json()["approved_by"] == APPROVER.subject
    values = await client.get("/v1/values", params={"indicator": IND}, headers=as_(APPROVER))
    item = values.json()["items"][0]
    assert (item["recorded_by"], item["approved_by"]) == (CONTRIBUTOR.subject, APPROVER.subject)


async def test_the_same_person_still_may_not_approve(client: httpx.AsyncClient) -> None:
    both = replace(CCG_APPROVER, subject="nurse-both", client_id="platform-web")
    other = replace(CCG_CONTRIBUTOR, client_id="platform-web")
    await submit(client, both, [HV | {"numerator": 1, "denominator": 2}])
    assert (await transition(client, other, IND, PERIOD, "submit")).status_code == 200
    r = await transition(client, both, IND, PERIOD, "approve")
    assert r.status_code == 403
