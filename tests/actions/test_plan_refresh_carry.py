"""Issue 16 items 3, 5 and 7: a refreshed plan keeps its risks and recommendations.

Risks not closed move to the new edition with their id (closed ones stay with the closed
edition); every recommendation is copied into the new edition, linked to its carried
actions and, as history, to its done actions left in the closed edition; the closed
edition's recommendations stay as they were. Nothing is written when the refresh is
refused. Every expected figure is worked out here from the fixture's own table.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, count, manager
from tests.actions.test_plan_refresh import GOOD, _plan, _refresh

#: the fixture plan's actions and statuses (tests.actions.test_plan_refresh._plan)
STATUS = {
    "1A1": "completed",
    "1A2": "not_started",
    "1B1": "not_started",
    "2A1": "embedded",
    "2A2": "blocked",
}
DONE = {"completed", "embedded"}
CARRIED = {ref for ref, s in STATUS.items() if s not in DONE}

#: (status, mitigating action refs) of each risk
RISKS = [
    ("open", ["1A1", "1A2"]),
    ("mitigated", ["2A2"]),
    ("closed", ["1B1"]),
    ("open", []),
    ("closed", ["2A1", "1A2"]),
    ("mitigated", ["2A1"]),
]

#: (source, number) -> linked action refs
RECOMMENDATIONS = {
    ("ofsted", 1): ["1A1", "1A2"],
    ("ofsted", 2): ["2A1"],
    ("ofsted", 3): [],
    ("lscb", 1): ["1B1", "2A2"],
}


async def _register(conn: AsyncConnection, plan: int) -> tuple[list[int], dict[Any, int]]:
    """The fixture's risks and recommendations on ``plan``: risk ids, recommendation ids."""
    risk_ids = []
    for i, (status, refs) in enumerate(RISKS):
        risk_ids.append(
            int(
                await conn.scalar(
                    text(
                        "INSERT INTO actions.risk (plan_id, risk, likelihood_before, "
                        "impact_before, likelihood_after, impact_after, "
                        "mitigating_action_refs, status) "
                        "VALUES (:p, :r, 4, 4, 2, 3, :refs, :s) RETURNING risk_id"
                    ),
                    {"p": plan, "r": f"Risk {i}", "refs": refs, "s": status},
                )
            )
        )
    rec_ids = {}
    for (source, number), refs in RECOMMENDATIONS.items():
        rec = int(
            await conn.scalar(
                text(
                    "INSERT INTO actions.recommendation (plan_id, source, number, text, "
                    "progress_to_date) VALUES (:p, :s, :n, :t, 'some') "
                    "RETURNING recommendation_id"
                ),
                {"p": plan, "s": source, "n": number, "t": f"{source} {number} text"},
            )
        )
        rec_ids[(source, number)] = rec
        for ref in refs:
            await conn.execute(
                text("INSERT INTO actions.recommendation_action VALUES (:r, :a)"),
                {"r": rec, "a": await action_id(conn, plan, ref)},
            )
    return risk_ids, rec_ids


async def _recs(client: httpx.AsyncClient, plan: int) -> list[dict[str, Any]]:
    r = await client.get("/v1/recommendations", params={"plan_id": plan}, headers=manager())
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def test_refresh_carries_live_risks_and_every_recommendation_with_its_links(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    old = await _plan(conn)
    risk_ids, rec_ids = await _register(conn, old)
    ids = {ref: await action_id(conn, old, ref) for ref in STATUS}
    old_recs_before = await _recs(client, old)

    r = await _refresh(client, old, GOOD)
    assert r.status_code == 201, r.text
    out = r.json()
    new = out["plan"]["plan_id"]

    # risks: the ones not closed move (same id), the closed ones stay
    live = [rid for rid, (s, _) in zip(risk_ids, RISKS, strict=True) if s != "closed"]
    closed = [rid for rid, (s, _) in zip(risk_ids, RISKS, strict=True) if s == "closed"]
    assert out["risks_carried"] == live
    assert out["risks_left"] == closed
    moved = await client.get("/v1/risks", params={"plan_id": new}, headers=manager())
    assert sorted(x["risk_id"] for x in moved.json()["items"]) == sorted(live)
    stayed = await client.get("/v1/risks", params={"plan_id": old}, headers=manager())
    assert sorted(x["risk_id"] for x in stayed.json()["items"]) == sorted(closed)
    # a moved risk keeps the refs of carried actions only; the others are in its event
    by_id = {x["risk_id"]: x for x in moved.json()["items"]}
    for rid, (status, refs) in zip(risk_ids, RISKS, strict=True):
        if status == "closed":
            continue
        assert by_id[rid]["mitigating_action_refs"] == [x for x in refs if x in CARRIED]
        assert by_id[rid]["status"] == status
        assert by_id[rid]["version"] == 2
        payload = (
            await conn.execute(
                text(
                    "SELECT payload FROM actions.outbox WHERE event_type = 'risk.carried' "
                    "AND entity_id = :e"
                ),
                {"e": str(rid)},
            )
        ).scalar_one()
        assert payload["mitigating_action_refs_left"] == [x for x in refs if x not in CARRIED]
        assert (payload["from_plan"], payload["to_plan"]) == (old, new)

    # recommendations: every one copied; links to carried actions, and to done ones as
    # history (the action still in the closed edition)
    new_recs = await _recs(client, new)
    assert [(x["source"], x["number"]) for x in new_recs] == [
        ("ofsted", 1),
        ("ofsted", 2),
        ("ofsted", 3),
        ("lscb", 1),
    ]
    for rec in new_recs:
        refs = RECOMMENDATIONS[(rec["source"], rec["number"])]
        expected = sorted(
            (new if ref in CARRIED else old, ref, ids[ref]) for ref in refs
        )  # by plan, then ref
        assert [(a["plan_id"], a["ref"], a["action_id"]) for a in rec["actions"]] == expected
        assert rec["text"] == f"{rec['source']} {rec['number']} text"
        assert rec["progress_to_date"] == "some"
        assert rec["recommendation_id"] not in rec_ids.values()

    # the closed edition's recommendations are left as they were: the same rows, versions
    # and linked actions (a carried action now shows the new edition as its plan)
    def linked(recs: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (x["recommendation_id"], x["version"], sorted(a["action_id"] for a in x["actions"]))
            for x in recs
        ]

    assert linked(await _recs(client, old)) == linked(old_recs_before)

    all_links = [ref for refs in RECOMMENDATIONS.values() for ref in refs]
    assert {k: out["counts"][k] for k in out["counts"] if k.startswith(("risk", "recomm"))} == {
        "risks_carried": len(live),
        "risks_left": len(closed),
        "recommendations": len(RECOMMENDATIONS),
        "recommendation_links": sum(1 for ref in all_links if ref in CARRIED),
        "recommendation_history_links": sum(1 for ref in all_links if ref not in CARRIED),
    }
    assert out["recommendations"] == ["ofsted 1", "ofsted 2", "ofsted 3", "lscb 1"]

    # each action names the recommendations of its own edition once
    for ref in ("1A1", "1A2"):
        detail = (await client.get(f"/v1/actions/{ids[ref]}", headers=manager())).json()
        assert detail["recommendations"] == [1]

    # one event per carried risk and per copied recommendation, naming where it came from
    assert await count(
        conn,
        "SELECT count(*) FROM actions.outbox WHERE event_type = 'risk.carried' "
        "AND (payload->>'to_plan')::int = :p",
        p=new,
    ) == len(live)
    events = (
        await conn.execute(
            text(
                "SELECT payload FROM actions.outbox WHERE event_type = 'recommendation.carried' "
                "AND (payload->>'to_plan')::int = :p ORDER BY seq"
            ),
            {"p": new},
        )
    ).scalars()
    assert [
        (e["from_recommendation_id"], e["action_refs"], e["history_action_refs"]) for e in events
    ] == [
        (
            rec_ids[key],
            sorted(x for x in refs if x in CARRIED),
            sorted(x for x in refs if x not in CARRIED),
        )
        for key, refs in RECOMMENDATIONS.items()
    ]


async def test_a_history_link_may_be_removed_but_never_made_by_hand(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    old = await _plan(conn)
    await _register(conn, old)
    r = await _refresh(client, old, GOOD)
    assert r.status_code == 201, r.text
    new = r.json()["plan"]["plan_id"]
    recs = {(x["source"], x["number"]): x for x in await _recs(client, new)}
    done, other_done = await action_id(conn, old, "1A1"), await action_id(conn, old, "2A1")
    ofsted_1 = recs[("ofsted", 1)]["recommendation_id"]
    # 2A1 (done, closed edition) is not linked to ofsted 1: linking it by hand is refused
    made = await client.put(
        f"/v1/recommendations/{ofsted_1}/actions/{other_done}", headers=manager()
    )
    assert made.status_code == 422, made.text
    assert [(e["field"], e["code"]) for e in made.json()["errors"]] == [("action_id", "other_plan")]
    # 1A1 is, as history: it may be removed, once
    gone = await client.delete(f"/v1/recommendations/{ofsted_1}/actions/{done}", headers=manager())
    assert gone.status_code == 200, gone.text
    assert [a["ref"] for a in gone.json()["actions"]] == ["1A2"]
    assert gone.json()["version"] == 2
    events = await count(conn, "SELECT count(*) FROM actions.outbox")
    again = await client.delete(f"/v1/recommendations/{ofsted_1}/actions/{done}", headers=manager())
    assert again.status_code == 200, again.text  # idempotent, as any unlink
    assert again.json()["version"] == 2
    assert await count(conn, "SELECT count(*) FROM actions.outbox") == events
    # the closed edition's recommendation still has it
    kept = {(x["source"], x["number"]): x for x in await _recs(client, old)}[("ofsted", 1)]
    assert done in [a["action_id"] for a in kept["actions"]]


async def _everything(conn: AsyncConnection) -> tuple[Any, ...]:
    risks = (
        await conn.execute(
            text(
                "SELECT risk_id, plan_id, version, mitigating_action_refs FROM actions.risk "
                "ORDER BY risk_id"
            )
        )
    ).all()
    return (
        tuple(risks),
        await count(conn, "SELECT count(*) FROM actions.recommendation"),
        await count(conn, "SELECT count(*) FROM actions.recommendation_action"),
        await count(conn, "SELECT count(*) FROM actions.outbox"),
        await count(conn, "SELECT count(*) FROM actions.plan"),
    )


async def test_a_refused_refresh_moves_no_risk_and_copies_no_recommendation(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    old = await _plan(conn)
    await _register(conn, old)
    before = await _everything(conn)
    bad = GOOD | {"carry": [{"ref": "1A2", "due_date": "2029-12-31"}]}  # before the period
    r = await _refresh(client, old, bad)
    assert r.status_code == 422, r.text
    assert [e["field"] for e in r.json()["errors"]] == ["carry[0].due_date"]
    assert await _everything(conn) == before
