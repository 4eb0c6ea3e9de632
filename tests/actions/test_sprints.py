"""Closing a sprint snapshots due/done/carried over and carries outstanding actions on."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, manager, who
from tests.actions.factories import action, make_plan


async def test_sprints_of_the_seed_plan(client: httpx.AsyncClient, plan_id: int) -> None:
    sprints = (
        await client.get(
            "/v1/sprints", params={"plan_id": plan_id}, headers=who("police", "viewer")
        )
    ).json()["items"]
    assert sprints[1]["number"] == 2
    # "Sprint 2" = weeks 13-24 of the plan
    assert (sprints[1]["start_date"], sprints[1]["end_date"]) == ("2017-10-24", "2018-01-15")
    assert sprints[-1]["end_date"] == "2019-07-31"


async def test_close_and_carry_over(client: httpx.AsyncClient, conn: AsyncConnection) -> None:
    plan = await make_plan(
        conn,
        "Sprint plan",
        [
            action("1A1", due_sprint=1),
            action("1A2", due_sprint=1),
            action("1A3", due_date="2030-02-01"),
            action("1A4", due_sprint=2),
        ],
    )
    done = await action_id(conn, plan, "1A1")
    await conn.execute(
        text(
            "UPDATE actions.action SET status='completed', percent_complete=100 WHERE action_id=:a"
        ),
        {"a": done},
    )
    await conn.execute(
        text(
            "UPDATE actions.action SET status='in_progress', percent_complete=40 "
            "WHERE plan_id=:p AND ref='1A2'"
        ),
        {"p": plan},
    )
    sprints = (await client.get("/v1/sprints", params={"plan_id": plan}, headers=manager())).json()[
        "items"
    ]
    first = sprints[0]
    url = f"/v1/sprints/{first['sprint_id']}"
    etag = (await client.get(url, headers=manager())).headers["ETag"]

    assert (await client.post(url + "/close", headers=manager())).status_code == 428
    forbidden = await client.post(
        url + "/close", headers=who("council", "contributor") | {"If-Match": etag}
    )
    assert forbidden.status_code == 403

    r = await client.post(url + "/close", headers=manager() | {"If-Match": etag})
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["status"] == "closed"
    snap = closed["snapshot"]
    assert snap["due"] == ["1A1", "1A2", "1A3"]
    assert snap["done"] == ["1A1"]
    assert snap["carried_over"] == ["1A2", "1A3"]
    assert snap["carried_to"] == 2
    assert snap["percent_complete"]["1A2"] == 40

    in_two = await client.get(
        "/v1/actions", params={"plan_id": plan, "sprint": 2}, headers=manager()
    )
    assert [a["ref"] for a in in_two.json()["items"]] == ["1A2", "1A3", "1A4"]
    carried = await action_id(conn, plan, "1A2")
    detail = (await client.get(f"/v1/actions/{carried}", headers=manager())).json()
    assert detail["history"][0]["kind"] == "carried_over"
    assert detail["history"][0]["detail"] == {
        "from_sprint": 1,
        "to_sprint": 2,
        "status": "in_progress",
    }
    assert detail["due_text"] == "Sprint 1"  # the plan's due date is kept: it shows overdue later
    again = await client.post(url + "/close", headers=manager() | {"If-Match": r.headers["ETag"]})
    assert again.status_code == 409
    events = await conn.scalar(
        text(
            "SELECT count(*) FROM actions.outbox WHERE event_type='sprint.closed' AND entity_id=:s"
        ),
        {"s": str(first["sprint_id"])},
    )
    assert events == 1
