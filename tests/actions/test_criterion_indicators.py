"""Issue 16 item 3: success criterion → the indicators that show it (code, target, direction,
by when), listed by every reader, changed by the council's plan managers, each change an
event for the trail."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import count, manager, who

LINK = {
    "indicator_code": "CONTACTS",
    "target_value": 4500,
    "direction": "down",
    "by_date": "2019-03-31",
}


async def criterion(conn: AsyncConnection, plan: int, code: str) -> int:
    found = await conn.scalar(
        text("SELECT criterion_id FROM actions.success_criterion WHERE plan_id = :p AND code = :c"),
        {"p": plan, "c": code},
    )
    assert found is not None
    return int(found)


async def events(conn: AsyncConnection, event_type: str, entity_id: int) -> list[dict]:
    rows = await conn.execute(
        text(
            "SELECT payload FROM actions.outbox WHERE event_type = :t AND entity_id = :e "
            "ORDER BY seq"
        ),
        {"t": event_type, "e": str(entity_id)},
    )
    return [r.payload for r in rows]


async def test_add_list_remove_a_link_with_events(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    c = await criterion(conn, plan_id, "1A")
    url = f"/v1/success-criteria/{c}/indicators"
    made = await client.post(url, json=LINK, headers=manager())
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["criterion_code"] == "1A"
    assert body["plan_id"] == plan_id
    assert body["indicator_code"] == "CONTACTS"
    assert float(body["target_value"]) == 4500.0
    assert body["direction"] == "down"
    assert body["by_date"] == "2019-03-31"
    assert body["created_by"] == "plan-manager-1"
    added = await events(conn, "criterion_indicator.added", c)
    assert added == [
        {
            "criterion_code": "1A",
            "plan_id": plan_id,
            "indicator_code": "CONTACTS",
            "target_value": "4500",
            "direction": "down",
            "by_date": "2019-03-31",
        }
    ]
    # a partner reads the link, by criterion and across the plan
    listed = await client.get(url, headers=who("police", "viewer"))
    assert listed.status_code == 200
    assert [x["indicator_code"] for x in listed.json()["items"]] == ["CONTACTS"]
    across = await client.get(
        "/v1/success-criteria/indicators",
        params={"plan_id": plan_id, "indicator_code": "CONTACTS"},
        headers=who("ccg", "viewer"),
    )
    assert [(x["criterion_code"], x["indicator_code"]) for x in across.json()["items"]] == [
        ("1A", "CONTACTS")
    ]
    gone = await client.delete(f"{url}/CONTACTS", headers=manager())
    assert gone.status_code == 204, gone.text
    assert (await client.get(url, headers=manager())).json()["items"] == []
    removed = await events(conn, "criterion_indicator.removed", c)
    assert len(removed) == 1
    assert removed[0]["indicator_code"] == "CONTACTS"
    again = await client.delete(f"{url}/CONTACTS", headers=manager())
    assert again.status_code == 404
    assert len(await events(conn, "criterion_indicator.removed", c)) == 1


async def test_a_second_link_to_the_same_indicator_is_refused_not_overwritten(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    c = await criterion(conn, plan_id, "2B")
    url = f"/v1/success-criteria/{c}/indicators"
    assert (await client.post(url, json=LINK, headers=manager())).status_code == 201
    second = await client.post(url, json=LINK | {"target_value": 1}, headers=manager())
    assert second.status_code == 409
    assert second.json()["errors"][0]["field"] == "indicator_code"
    kept = (await client.get(url, headers=manager())).json()["items"]
    assert [float(x["target_value"]) for x in kept] == [4500.0]
    assert len(await events(conn, "criterion_indicator.added", c)) == 1


async def test_bad_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    c = await criterion(conn, plan_id, "3A")
    url = f"/v1/success-criteria/{c}/indicators"
    before = await count(conn, "SELECT count(*) FROM actions.criterion_indicator")
    for field, value in (
        ("indicator_code", "contacts; drop"),
        ("indicator_code", "X"),
        ("direction", "sideways"),
        ("by_date", "31/03/2019"),
        ("target_value", "lots"),
    ):
        r = await client.post(url, json=LINK | {field: value}, headers=manager())
        assert r.status_code == 422, (field, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert value not in r.text
    r = await client.post("/v1/success-criteria/999999/indicators", json=LINK, headers=manager())
    assert r.status_code == 404
    assert await count(conn, "SELECT count(*) FROM actions.criterion_indicator") == before


async def test_only_plan_managers_change_links(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    c = await criterion(conn, plan_id, "4A")
    url = f"/v1/success-criteria/{c}/indicators"
    for headers in (
        who("council", "viewer"),
        who("council", "contributor"),
        who("police", "plan_manager"),
        who("police", "contributor"),
        who("council", scopes=("actions:write",), kind="client"),
    ):
        assert (await client.post(url, json=LINK, headers=headers)).status_code == 403
    assert (await client.post(url, json=LINK, headers=manager())).status_code == 201
    for headers in (who("council", "viewer"), who("police", "contributor")):
        assert (await client.delete(f"{url}/CONTACTS", headers=headers)).status_code == 403
    # partner systems read with actions:read, not without it
    reader = who("police", scopes=("actions:read",), kind="client")
    assert (await client.get(url, headers=reader)).status_code == 200
    kpis_only = who("police", scopes=("kpis:read",), kind="client")
    assert (await client.get(url, headers=kpis_only)).status_code == 403
    assert await count(conn, "SELECT count(*) FROM actions.criterion_indicator") == 1


async def test_a_closed_plan_keeps_its_links(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    c = await criterion(conn, plan_id, "5A")
    await conn.execute(
        text("UPDATE actions.plan SET status = 'closed' WHERE plan_id = :p"), {"p": plan_id}
    )
    r = await client.post(f"/v1/success-criteria/{c}/indicators", json=LINK, headers=manager())
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "plan_closed"
