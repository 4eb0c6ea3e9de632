"""The Wirral plan as loaded from the reviewed data file."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.plans.loader import load_plan, read_seed
from tests.actions.conftest import count, who


async def test_counts_per_theme(client: httpx.AsyncClient, plan_id: int) -> None:
    r = await client.get(
        "/v1/board-summary", params={"plan_id": plan_id}, headers=who("police", "viewer")
    )
    assert r.status_code == 200
    totals = {t["theme"]: t["total"] for t in r.json()["themes"]}
    assert totals == {1: 11, 2: 8, 3: 18, 4: 23, 5: 27}


async def test_structure_counts(conn: AsyncConnection, plan_id: int) -> None:
    q = "SELECT count(*) FROM actions.{} WHERE plan_id = :p"
    assert await count(conn, q.format("theme"), p=plan_id) == 5
    assert await count(conn, q.format("success_criterion"), p=plan_id) == 27
    assert await count(conn, q.format("action"), p=plan_id) == 87
    recs = q.format("recommendation") + " AND source = :s"
    assert await count(conn, recs, p=plan_id, s="ofsted") == 19
    assert await count(conn, recs, p=plan_id, s="lscb") == 7
    refs = (
        (
            await conn.execute(
                text("SELECT ref FROM actions.action WHERE plan_id = :p ORDER BY ref"),
                {"p": plan_id},
            )
        )
        .scalars()
        .all()
    )
    assert refs[0] == "1A1"
    assert refs[-1] == "5E5"


async def test_sample_actions_field_by_field(client: httpx.AsyncClient, plan_id: int) -> None:
    headers = who("ccg", "viewer")
    r = await client.get("/v1/actions", params={"plan_id": plan_id, "ref": "1A1"}, headers=headers)
    a1 = r.json()["items"][0]
    detail = (await client.get(f"/v1/actions/{a1['action_id']}", headers=headers)).json()
    assert detail["theme_number"] == 1
    assert detail["criterion_code"] == "1A"
    assert detail["due_text"] == "Sprint 2"
    assert detail["due_sprint"] == 2
    # Sprint 2 = weeks 13-24 from the plan's start (2017-08-01): due at its last day
    assert detail["due_on"] == "2018-01-15"
    assert [o["title"] for o in detail["owners"]] == ["Deputy Director Children's Services"]
    assert detail["lead_agency"] == "council"
    assert detail["contributing_agencies"] == ["probation"]
    assert len(detail["steps"]) == 4
    assert detail["steps"][3]["agencies"] == ["probation"]
    assert detail["steps"][3]["text"].startswith("National probation service to contribute")
    assert detail["steps"][0]["agencies"] == []
    assert detail["recommendations"] == [2]
    assert detail["status"] == "not_started"

    r = await client.get("/v1/actions", params={"plan_id": plan_id, "ref": "1A2"}, headers=headers)
    a2 = r.json()["items"][0]
    assert [o["title"] for o in a2["owners"]] == [
        "Practice Improvement Lead",
        "Quality Assurance Manager",
        "Head of Integrated Front Door",
    ]

    r = await client.get("/v1/actions", params={"plan_id": plan_id, "ref": "2C1"}, headers=headers)
    c1 = r.json()["items"][0]
    assert c1["due_date"] == "2017-08-21"
    assert c1["due_text"] == "21/8/17"
    c1d = (await client.get(f"/v1/actions/{c1['action_id']}", headers=headers)).json()
    assert [s["number"] for s in c1d["steps"]] == [1, 2]
    assert c1d["steps"][1]["text"].startswith("Build an annual skills gap process")
    assert any("cut across a page" in f for f in c1d["source_fixes"])

    r = await client.get("/v1/actions", params={"plan_id": plan_id, "ref": "4F5"}, headers=headers)
    f5 = r.json()["items"][0]
    assert f5["owners"] == []  # the source gives none; none is invented
    r = await client.get("/v1/actions", params={"plan_id": plan_id, "ref": "5D2"}, headers=headers)
    assert r.json()["items"][0]["contributing_agencies"] == ["police", "probation"]
    r = await client.get("/v1/actions", params={"plan_id": plan_id, "ref": "5E5"}, headers=headers)
    e5 = r.json()["items"][0]
    assert e5["due_date"] == "2017-09-30"
    assert [o["title"] for o in e5["owners"]] == ["Chair of the Performance Committee"]


async def test_recommendations_and_criteria(client: httpx.AsyncClient, plan_id: int) -> None:
    headers = who("probation", "viewer")
    recs = (
        await client.get("/v1/recommendations", params={"plan_id": plan_id}, headers=headers)
    ).json()["items"]
    # both sets, Ofsted's to the local authority first, then the LSCB's
    assert [(r["source"], r["number"]) for r in recs] == [("ofsted", n) for n in range(1, 20)] + [
        ("lscb", n) for n in range(1, 8)
    ]
    r7 = recs[6]
    assert r7["text"].startswith("Ensure that strategy meetings are timely")
    assert r7["further_work"].startswith("Complete the review underway")
    assert [a["ref"] for a in r7["actions"]] == ["2B1"]
    # a row split across pages is rejoined
    assert "supporting the more complex joint investigations" in recs[1]["progress_to_date"]
    crit = (
        await client.get("/v1/success-criteria", params={"plan_id": plan_id}, headers=headers)
    ).json()
    assert (crit["total"], crit["limit"], crit["offset"]) == (27, 50, 0)
    crit = crit["items"]
    assert len(crit) == 27
    assert {c["code"] for c in crit if c["theme_number"] == 4} == {
        "4A",
        "4B",
        "4C",
        "4D",
        "4E",
        "4F",
    }
    assert "utilising" in next(c["text"] for c in crit if c["code"] == "4B")


async def test_load_is_idempotent(conn: AsyncConnection, plan_id: int) -> None:
    before = await count(conn, "SELECT count(*) FROM actions.action")
    again, inserted = await load_plan(conn, read_seed())
    assert (again, inserted) == (plan_id, False)
    assert await count(conn, "SELECT count(*) FROM actions.action") == before


async def test_seed_command_twice_changes_nothing(pg_server: str) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    from services.actions.seed import seed
    from tests.support.database import fresh_database

    db = await asyncio.to_thread(fresh_database, pg_server, "seed")
    url = db.service_url("actions")
    assert await seed(url) is True
    engine = create_async_engine(url)
    tables = (
        "plan",
        "theme",
        "success_criterion",
        "action",
        "action_step",
        "owner",
        "action_owner",
        "recommendation",
        "recommendation_action",
        "sprint",
        "outbox",
    )

    async def snapshot() -> dict[str, int]:
        async with engine.connect() as c:
            return {t: await count(c, f"SELECT count(*) FROM actions.{t}") for t in tables}

    try:
        first = await snapshot()
        assert first["action"] == 87
        assert await seed(url) is False
        assert await snapshot() == first
    finally:
        await engine.dispose()
