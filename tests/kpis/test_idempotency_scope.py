"""One Idempotency-Key space per caller (issue 15, promise R6).

People's tokens all name the front-end client ``platform-web``; keyed by it, a second
person's submission with the same key and body was silently dropped (the first person's
stored report came back), and a refused caller received someone else's 201.
"""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.kpis.conftest import CCG_CONTRIBUTOR, as_
from tests.support.tokens import caller

HV = {"indicator": "HV_6_8_WEEK", "period": "2017/18-Q1", "org_unit": "WIRRAL"}
NURSE_TWO = caller("ccg", ("contributor",), subject="nurse-2")
POLICE_PERSON = caller("police", ("contributor",), subject="pc-1")


async def _submissions_by(connection: AsyncConnection, who: str) -> int:
    sql = text("SELECT count(*) FROM kpis.submission WHERE submitted_by = :w")
    return int(await connection.scalar(sql, {"w": who}) or 0)


async def test_two_people_one_key_each_get_their_own_answer(
    client: httpx.AsyncClient, kpis_connection: AsyncConnection
) -> None:
    assert CCG_CONTRIBUTOR.client_id == NURSE_TWO.client_id == "platform-web"
    body = {"rows": [HV | {"numerator": 1, "denominator": 2}]}
    key = {"Idempotency-Key": "weekly-batch"}
    first = await client.post("/v1/submissions", json=body, headers=as_(CCG_CONTRIBUTOR) | key)
    assert first.status_code == 201, first.text
    assert first.json()["accepted"] == 1

    # a police person (not the source agency) replays the key and body: their own refusal
    refused = await client.post("/v1/submissions", json=body, headers=as_(POLICE_PERSON) | key)
    assert refused.status_code in (403, 404, 422), refused.text
    assert "Idempotent-Replayed" not in refused.headers
    assert first.json()["submission_id"] not in refused.text

    # a second CCG person, same key and body: their own result (the value is unchanged)
    second = await client.post("/v1/submissions", json=body, headers=as_(NURSE_TWO) | key)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["submission_id"] != first.json()["submission_id"]
    assert second.json()["unchanged"] == 1
    assert second.json()["accepted"] == 0

    # a change under the same key by the second person is recorded, not dropped
    changed = {"rows": [HV | {"numerator": 2, "denominator": 2}]}
    own = await client.post(
        "/v1/submissions", json=changed, headers=as_(NURSE_TWO) | {"Idempotency-Key": "k2"}
    )
    assert own.status_code == 201, own.text
    again = await client.post(
        "/v1/submissions", json=changed, headers=as_(CCG_CONTRIBUTOR) | {"Idempotency-Key": "k2"}
    )
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["unchanged"] == 1
    assert await _submissions_by(kpis_connection, "nurse-2") == 2  # each recorded
    assert await _submissions_by(kpis_connection, "nurse-1") == 2

    # each person's own retry replays their own answer
    retry = await client.post("/v1/submissions", json=body, headers=as_(CCG_CONTRIBUTOR) | key)
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json()
