"""One Idempotency-Key space per caller (issue 15, promise R6).

Every person's token names the same front-end client (``platform-web``); the key space was
that ``client_id``, so any person replaying another's key and body got the other's stored
answer (a refused contributor received the police user's 201, narrative included).
"""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, count, etag_of, who

POLICE = who("police", "contributor", subject="pc-ada")
POLICE_TWO = who("police", "contributor", subject="pc-bob")
CCG = who("ccg", "contributor", subject="nurse-cy")

NARRATIVE = "Joint visits with the Police started; names withheld"


def _updates(action: int) -> str:
    return f"/v1/actions/{action}/updates"


async def test_people_sharing_the_web_client_do_not_share_idempotency_keys(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    # both tokens carry client_id platform-web, as the gateway mints them
    assert POLICE.who.client_id == CCG.who.client_id == "platform-web"
    act = await action_id(conn, plan_id, "5D2")  # led or joined by council, police, probation
    body = {"narrative": NARRATIVE, "percent_complete": 40, "declared_rag": "amber"}
    key = {"Idempotency-Key": "progress-2017-11-01"}
    etag = await etag_of(client, act)
    first = await client.post(_updates(act), json=body, headers=POLICE | key | {"If-Match": etag})
    assert first.status_code == 201, first.text
    sql = "SELECT count(*) FROM actions.progress_update WHERE action_id = :a"
    stored = await count(conn, sql, a=act)

    # a CCG contributor (no part in 5D2) replays the same key and body: refused, not the 201
    refused = await client.post(_updates(act), json=body, headers=CCG | key | {"If-Match": etag})
    assert refused.status_code in (403, 404), refused.text
    assert "Idempotent-Replayed" not in refused.headers
    assert NARRATIVE not in refused.text

    # a second police person with the same key and body gets their own result
    etag = await etag_of(client, act)
    own = await client.post(_updates(act), json=body, headers=POLICE_TWO | key | {"If-Match": etag})
    assert own.status_code == 201, own.text
    assert "Idempotent-Replayed" not in own.headers
    assert own.json()["update_id"] != first.json()["update_id"]
    assert await count(conn, sql, a=act) == stored + 1

    # each person's retry replays their own answer
    mine = await client.post(_updates(act), json=body, headers=POLICE | key | {"If-Match": etag})
    assert mine.headers.get("Idempotent-Replayed") == "true"
    assert mine.json() == first.json()
    theirs = await client.post(
        _updates(act), json=body, headers=POLICE_TWO | key | {"If-Match": etag}
    )
    assert theirs.headers.get("Idempotent-Replayed") == "true"
    assert theirs.json() == own.json()
    assert await count(conn, sql, a=act) == stored + 1
