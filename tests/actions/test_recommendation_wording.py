"""A plan manager corrects a recommendation's wording: the LSCB's seven are loaded with their
text missing (the seed plan counts them but prints none), so the council types them in.
If-Match required, one event naming the fields per real change, nothing written when refused."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import manager, who
from tests.actions.test_recommendation_links import rec_id

WORDING = "The LSCB should ensure that its partners' audits of thresholds are acted upon."


async def stored(conn: AsyncConnection, rec: int) -> tuple[str, str, int]:
    row = (
        await conn.execute(
            text(
                "SELECT text, further_work, version FROM actions.recommendation "
                "WHERE recommendation_id = :r"
            ),
            {"r": rec},
        )
    ).one()
    return row.text, row.further_work, row.version


async def updated_events(conn: AsyncConnection, rec: int) -> list[list[str]]:
    rows = await conn.execute(
        text(
            "SELECT payload FROM actions.outbox WHERE entity_type = 'recommendation' "
            "AND entity_id = :e AND event_type = 'recommendation.updated' ORDER BY seq"
        ),
        {"e": str(rec)},
    )
    return [r.payload["fields"] for r in rows]


async def test_a_plan_manager_types_in_an_lscb_recommendation(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 3, "lscb")
    before_text, _, before_version = await stored(conn, rec)
    read = await client.get(f"/v1/recommendations/{rec}", headers=manager())
    url = f"/v1/recommendations/{rec}"
    changed = await client.patch(
        url,
        json={"text": f"  {WORDING} ", "further_work": "Audit in Q3"},
        headers=manager() | {"If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["text"] == WORDING  # trimmed
    assert (changed.json()["source"], changed.json()["number"]) == ("lscb", 3)
    assert changed.headers["ETag"] != read.headers["ETag"]
    assert await stored(conn, rec) == (WORDING, "Audit in Q3", before_version + 1)
    assert before_text != WORDING
    assert await updated_events(conn, rec) == [["further_work", "text"]]
    # the same values again change nothing: no new version, no event
    same = await client.patch(
        url, json={"text": WORDING}, headers=manager() | {"If-Match": changed.headers["ETag"]}
    )
    assert same.status_code == 200
    assert same.headers["ETag"] == changed.headers["ETag"]
    assert await updated_events(conn, rec) == [["further_work", "text"]]


async def test_refusals_write_nothing(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 5, "lscb")
    url = f"/v1/recommendations/{rec}"
    before = await stored(conn, rec)
    tag = (await client.get(url, headers=manager())).headers["ETag"]
    no_match = await client.patch(url, json={"text": WORDING}, headers=manager())
    assert no_match.status_code == 428
    stale = await client.patch(
        url, json={"text": WORDING}, headers=manager() | {"If-Match": '"recommendation-0"'}
    )
    assert stale.status_code == 412
    for body, field in (
        ({"text": ""}, "text"),
        ({"text": None}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"number": 9}, "number"),
        ({"source": "ofsted"}, "source"),
    ):
        bad = await client.patch(url, json=body, headers=manager() | {"If-Match": tag})
        assert bad.status_code == 422, (body, bad.text)
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert field in {e["field"].split(".")[-1] for e in bad.json()["errors"]}, bad.json()
        assert "x" * 50 not in bad.text  # never echoes the value
    for headers in (
        who("council", "viewer"),
        who("council", "contributor"),
        who("police", "plan_manager"),
        who("ccg", scopes=("actions:write",), kind="client"),
    ):
        refused = await client.patch(
            url, json={"text": WORDING}, headers=headers | {"If-Match": tag}
        )
        assert refused.status_code == 403
    assert (
        await client.patch(
            "/v1/recommendations/999999",
            json={"text": WORDING},
            headers=manager() | {"If-Match": tag},
        )
    ).status_code == 404
    assert await stored(conn, rec) == before
    assert await updated_events(conn, rec) == []


async def test_a_closed_plans_recommendation_stays_as_it_was(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    rec = await rec_id(conn, plan_id, 1, "lscb")
    url = f"/v1/recommendations/{rec}"
    tag = (await client.get(url, headers=manager())).headers["ETag"]
    await conn.execute(
        text("UPDATE actions.plan SET status = 'closed' WHERE plan_id = :p"), {"p": plan_id}
    )
    before = await stored(conn, rec)
    r = await client.patch(url, json={"text": WORDING}, headers=manager() | {"If-Match": tag})
    assert r.status_code == 409
    assert await stored(conn, rec) == before
