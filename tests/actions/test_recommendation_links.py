"""Issue 16 item 3: recommendation ↔ action links editable by plan managers (idempotent PUT
and DELETE, If-Match honoured, one event per real change); the LSCB's 7 recommendations as
their own set; the recommendations no action answers listed."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.plans.loader import SEED_FILE
from tests.actions.conftest import action_id, count, manager, who


async def rec_id(conn: AsyncConnection, plan: int, number: int, source: str = "ofsted") -> int:
    found = await conn.scalar(
        text(
            "SELECT recommendation_id FROM actions.recommendation "
            "WHERE plan_id = :p AND number = :n AND source = :s"
        ),
        {"p": plan, "n": number, "s": source},
    )
    assert found is not None
    return int(found)


async def linked(conn: AsyncConnection, rec: int) -> list[str]:
    rows = await conn.execute(
        text(
            "SELECT a.ref FROM actions.recommendation_action ra "
            "JOIN actions.action a USING (action_id) WHERE ra.recommendation_id = :r ORDER BY 1"
        ),
        {"r": rec},
    )
    return [r.ref for r in rows]


async def events(conn: AsyncConnection, rec: int) -> list[tuple[str, str]]:
    rows = await conn.execute(
        text(
            "SELECT event_type, payload FROM actions.outbox WHERE entity_type = 'recommendation' "
            "AND entity_id = :e ORDER BY seq"
        ),
        {"e": str(rec)},
    )
    return [(r.event_type, r.payload["action_ref"]) for r in rows]


async def test_without_actions_lists_10_15_19(client: httpx.AsyncClient, plan_id: int) -> None:
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    expected = sorted(r["number"] for r in data["recommendations"] if not r["actions"])
    assert expected == [10, 15, 19]
    r = await client.get(
        "/v1/recommendations",
        params={"plan_id": plan_id, "source": "ofsted", "without_actions": True},
        headers=who("police", "viewer"),
    )
    assert r.status_code == 200, r.text
    assert [x["number"] for x in r.json()["items"]] == expected
    assert all(x["actions"] == [] for x in r.json()["items"])


async def test_the_lscb_set_is_its_own(client: httpx.AsyncClient, plan_id: int) -> None:
    headers = who("ccg", "viewer")
    lscb = await client.get(
        "/v1/recommendations", params={"plan_id": plan_id, "source": "lscb"}, headers=headers
    )
    assert lscb.status_code == 200
    assert [x["number"] for x in lscb.json()["items"]] == [1, 2, 3, 4, 5, 6, 7]
    assert {x["source"] for x in lscb.json()["items"]} == {"lscb"}
    # the seed plan counts them but prints no text: the record says so, it does not invent
    assert all("not printed in the seed plan" in x["text"] for x in lscb.json()["items"])
    assert all(x["source_fix"] for x in lscb.json()["items"])
    ofsted = await client.get(
        "/v1/recommendations", params={"plan_id": plan_id, "source": "ofsted"}, headers=headers
    )
    assert [x["number"] for x in ofsted.json()["items"]] == list(range(1, 20))
    every = await client.get("/v1/recommendations", params={"plan_id": plan_id}, headers=headers)
    assert len(every.json()["items"]) == 26


async def test_link_and_unlink_are_idempotent_with_one_event_per_change(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 10)
    action = await action_id(conn, plan_id, "1B1")
    url = f"/v1/recommendations/{rec}/actions/{action}"
    first = await client.put(url, headers=manager())
    assert first.status_code == 200, first.text
    assert [a["ref"] for a in first.json()["actions"]] == ["1B1"]
    again = await client.put(url, headers=manager())
    assert again.status_code == 200
    assert again.headers["ETag"] == first.headers["ETag"]
    assert await linked(conn, rec) == ["1B1"]
    assert await events(conn, rec) == [("recommendation.action_linked", "1B1")]
    # now it has an action: no longer listed without one
    bare = await client.get(
        "/v1/recommendations",
        params={"plan_id": plan_id, "source": "ofsted", "without_actions": True},
        headers=manager(),
    )
    assert [x["number"] for x in bare.json()["items"]] == [15, 19]
    # the action's detail names it
    detail = await client.get(f"/v1/actions/{action}", headers=manager())
    assert 10 in detail.json()["recommendations"]
    gone = await client.delete(url, headers=manager())
    assert gone.status_code == 200
    assert gone.json()["actions"] == []
    assert (await client.delete(url, headers=manager())).status_code == 200
    assert await linked(conn, rec) == []
    assert await events(conn, rec) == [
        ("recommendation.action_linked", "1B1"),
        ("recommendation.action_unlinked", "1B1"),
    ]


async def test_a_seed_link_can_be_removed(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 2)
    assert await linked(conn, rec) == ["1A1", "1C1"]
    action = await action_id(conn, plan_id, "1C1")
    r = await client.delete(f"/v1/recommendations/{rec}/actions/{action}", headers=manager())
    assert r.status_code == 200
    assert await linked(conn, rec) == ["1A1"]


async def test_if_match_refuses_a_stale_change(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 15)
    read = await client.get(f"/v1/recommendations/{rec}", headers=manager())
    etag = read.headers["ETag"]
    a1 = await action_id(conn, plan_id, "4F1")
    a2 = await action_id(conn, plan_id, "4F2")
    ok = await client.put(
        f"/v1/recommendations/{rec}/actions/{a1}", headers=manager() | {"If-Match": etag}
    )
    assert ok.status_code == 200
    assert ok.headers["ETag"] != etag
    stale = await client.put(
        f"/v1/recommendations/{rec}/actions/{a2}", headers=manager() | {"If-Match": etag}
    )
    assert stale.status_code == 412
    assert await linked(conn, rec) == ["4F1"]


async def test_rights_viewer_and_partners_refused_writes_partners_read(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 19)
    action = await action_id(conn, plan_id, "3A1")
    url = f"/v1/recommendations/{rec}/actions/{action}"
    for headers in (
        who("council", "viewer"),
        who("council", "contributor"),
        who("council", "auditor"),
        who("police", "plan_manager"),
        who("police", scopes=("actions:write",), kind="client"),
    ):
        assert (await client.put(url, headers=headers)).status_code == 403
        assert (await client.delete(url, headers=headers)).status_code == 403
    assert await linked(conn, rec) == []
    assert await events(conn, rec) == []
    for headers in (who("police", "viewer"), who("ccg", scopes=("actions:read",), kind="client")):
        assert (await client.get(f"/v1/recommendations/{rec}", headers=headers)).status_code == 200


async def test_unknown_or_foreign_objects_write_nothing(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 1, "lscb")
    before = await count(conn, "SELECT count(*) FROM actions.recommendation_action")
    assert (
        await client.put(f"/v1/recommendations/{rec}/actions/999999", headers=manager())
    ).status_code == 404
    assert (
        await client.put("/v1/recommendations/999999/actions/1", headers=manager())
    ).status_code == 404
    other = await conn.scalar(
        text(
            "INSERT INTO actions.plan (title, authority, start_date, end_date, status) "
            "VALUES ('Other', 'Wirral Council', '2020-01-01', '2021-01-01', 'active') "
            "RETURNING plan_id"
        )
    )
    theme = await conn.scalar(
        text(
            "INSERT INTO actions.theme (plan_id, number, title) VALUES (:p, 1, 'T') "
            "RETURNING theme_id"
        ),
        {"p": other},
    )
    crit = await conn.scalar(
        text(
            "INSERT INTO actions.success_criterion (plan_id, theme_id, code, text) "
            "VALUES (:p, :t, '1A', 'C') RETURNING criterion_id"
        ),
        {"p": other, "t": theme},
    )
    foreign = await conn.scalar(
        text(
            "INSERT INTO actions.action (plan_id, theme_id, criterion_id, ref, title, description, "
            "lead_agency, contributing_agencies, status, start_on) VALUES (:p, :t, :c, '1A1', 'A', "
            "'', 'council', '{}', 'not_started', '2020-01-01') RETURNING action_id"
        ),
        {"p": other, "t": theme, "c": crit},
    )
    r = await client.put(f"/v1/recommendations/{rec}/actions/{foreign}", headers=manager())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "action_id"
    assert await count(conn, "SELECT count(*) FROM actions.recommendation_action") == before
    assert await events(conn, rec) == []
