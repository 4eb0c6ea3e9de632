"""Issue 16 item 7: a plan that lives past its first dates.

A refresh makes the plan's next edition and period: open actions carried with their
history and new dates (inside the new period, or the whole refresh is refused and nothing
is written), done actions left in the old edition. Sprints close in order. Steps get an
owner (a role linked to a person), a due date and a status; reminders name the person.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.reminders.service import run_reminders
from tests.actions.conftest import action_id, count, etag_of, manager, report, who
from tests.actions.factories import action, make_plan
from tests.support.apps import session_on

# the first edition ran July 2017 to July 2019, like the seed plan: every open action is
# long overdue today
OLD_START, OLD_END = "2017-07-24", "2019-07-31"
NEW_START, NEW_END = date(2030, 1, 1), date(2031, 6, 30)


async def _plan(conn: AsyncConnection) -> int:
    plan = await make_plan(
        conn,
        "Refresh plan",
        [
            action("1A1", due_date="2018-03-31"),  # completed: stays behind
            action("1A2", due_date="2018-06-30", steps=(("Draft", ()), ("Agree", ()))),
            action("1B1", due_sprint=3),
            action("2A1", due_date="2019-07-31"),  # embedded: stays behind
            action("2A2", due_date="2019-01-31"),  # blocked: carried
        ],
        start=OLD_START,
        end=OLD_END,
    )
    for ref, status in (("1A1", "completed"), ("2A1", "embedded"), ("2A2", "blocked")):
        await conn.execute(
            text("UPDATE actions.action SET status = :s WHERE plan_id = :p AND ref = :r"),
            {"s": status, "p": plan, "r": ref},
        )
    return plan


async def _plan_etag(client: httpx.AsyncClient, plan: int) -> str:
    r = await client.get(f"/v1/plans/{plan}", headers=manager())
    assert r.status_code == 200, r.text
    return r.headers["ETag"]


async def _refresh(
    client: httpx.AsyncClient, plan: int, body: dict[str, Any], etag: str | None = None
) -> httpx.Response:
    return await client.post(
        f"/v1/plans/{plan}/refresh",
        json=body,
        headers=manager() | {"If-Match": etag or await _plan_etag(client, plan)},
    )


GOOD = {
    "start_date": NEW_START.isoformat(),
    "end_date": NEW_END.isoformat(),
    "carry": [
        {"ref": "1A2", "due_date": "2030-06-30"},
        {"ref": "1B1", "due_sprint": 2},
    ],
    "default_due_date": "2031-03-31",
}


async def test_refresh_carries_open_actions_with_their_history(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    old = await _plan(conn)
    carried_id = await action_id(conn, old, "1A2")
    # history: a progress update with evidence, a recommendation link, an indicator link
    r = await report(client, carried_id, manager(), percent=40, evidence=["minutes-2018-05"])
    assert r.status_code == 201, r.text
    update_id = r.json()["update_id"]
    rec = await conn.scalar(
        text(
            "INSERT INTO actions.recommendation (plan_id, source, number, text) "
            "VALUES (:p, 'ofsted', 4, 'Improve supervision') RETURNING recommendation_id"
        ),
        {"p": old},
    )
    await conn.execute(
        text("INSERT INTO actions.recommendation_action VALUES (:r, :a)"),
        {"r": rec, "a": carried_id},
    )
    crit = await conn.scalar(
        text("SELECT criterion_id FROM actions.success_criterion WHERE plan_id = :p AND code='1A'"),
        {"p": old},
    )
    await conn.execute(
        text(
            "INSERT INTO actions.criterion_indicator "
            "(criterion_id, indicator_code, target_value, direction, by_date, created_by) "
            "VALUES (:c, 'CIC_RATE', 90, 'down', '2019-03-31', 'test')"
        ),
        {"c": crit},
    )
    # a step dated in the old period: its date cannot stand in the new one
    await conn.execute(
        text(
            "UPDATE actions.action_step SET due_date = '2018-05-01' "
            "WHERE action_id = :a AND number = 1"
        ),
        {"a": carried_id},
    )
    history_before = await count(
        conn, "SELECT count(*) FROM actions.action_event WHERE action_id = :a", a=carried_id
    )
    before = (await client.get(f"/v1/actions/{carried_id}", headers=manager())).json()
    assert before["computed_rag"] == "red"  # due in 2018: overdue today

    r = await _refresh(client, old, GOOD)
    assert r.status_code == 201, r.text
    out = r.json()
    new = out["plan"]["plan_id"]
    assert out["plan"]["edition"] == 2
    assert out["plan"]["previous_plan_id"] == old == out["previous_plan_id"]
    assert (out["plan"]["start_date"], out["plan"]["end_date"]) == ("2030-01-01", "2031-06-30")
    assert out["carried"] == ["1A2", "1B1", "2A2"]
    assert out["left"] == ["1A1", "2A1"]
    # sprints: 84-day blocks from the new start, counted here by hand
    sprints = (NEW_END - NEW_START).days // 84 + 1
    assert out["counts"] == {
        "carried": 3,
        "left": 2,
        "themes": 2,
        "success_criteria": 3,
        "sprints": sprints,
        "step_dates_cleared": 1,
        # no risks; the one recommendation, linked to the carried action 1A2
        "risks_carried": 0,
        "risks_left": 0,
        "recommendations": 1,
        "recommendation_links": 1,
        "recommendation_history_links": 0,
    }
    assert out["step_dates_cleared"] == ["1A2#1"]

    # the old edition is closed and keeps only its done actions
    old_plan = (await client.get(f"/v1/plans/{old}", headers=manager())).json()
    assert old_plan["status"] == "closed"
    left = await client.get("/v1/actions", params={"plan_id": old}, headers=manager())
    assert [a["ref"] for a in left.json()["items"]] == ["1A1", "2A1"]
    moved = await client.get("/v1/actions", params={"plan_id": new}, headers=manager())
    assert [(a["ref"], a["status"]) for a in moved.json()["items"][1:]] == [
        ("1B1", "not_started"),
        ("2A2", "blocked"),
    ]

    # the carried action: same id, its updates, links and events, and its new dates
    after = (await client.get(f"/v1/actions/{carried_id}", headers=manager())).json()
    assert after["plan_id"] == new
    assert after["due_date"] == "2030-06-30"
    assert [u["update_id"] for u in after["recent_updates"]] == [update_id]
    assert after["recent_updates"][0]["evidence"] == ["minutes-2018-05"]
    assert after["recommendations"] == [4]
    assert after["percent_complete"] == 40
    assert [s["due_date"] for s in after["steps"]] == [None, None]
    assert after["history"][0]["kind"] == "carried_to_plan"
    assert after["history"][0]["detail"] == {
        "from_plan": old,
        "to_plan": new,
        "edition": 2,
        "from_due_on": "2018-06-30",
        "from_due_text": "2018-06-30",
        "to_due_on": "2030-06-30",
        "status": before["status"],
    }
    history_after = await count(
        conn, "SELECT count(*) FROM actions.action_event WHERE action_id = :a", a=carried_id
    )
    assert history_after == history_before + 1
    # a sprint-dated action: sprint 2 of the new period = days 84..167 from its start
    b1 = (
        await client.get(f"/v1/actions/{await action_id(conn, new, '1B1')}", headers=manager())
    ).json()
    assert (b1["due_text"], b1["due_on"]) == (
        "Sprint 2",
        (NEW_START + timedelta(days=2 * 84 - 1)).isoformat(),
    )
    # the action given no date of its own takes the default
    a2 = (
        await client.get(f"/v1/actions/{await action_id(conn, new, '2A2')}", headers=manager())
    ).json()
    assert a2["due_date"] == "2031-03-31"

    # the structure and the criterion's indicator link came along
    codes = await client.get("/v1/success-criteria", params={"plan_id": new}, headers=manager())
    assert [c["code"] for c in codes.json()["items"]] == ["1A", "1B", "2A"]
    linked = await count(
        conn,
        "SELECT count(*) FROM actions.criterion_indicator ci "
        "JOIN actions.success_criterion c USING (criterion_id) "
        "WHERE c.plan_id = :p AND ci.indicator_code = 'CIC_RATE'",
        p=new,
    )
    assert linked == 1
    listed = await client.get(
        "/v1/sprints", params={"plan_id": new}, headers=who("police", "viewer")
    )
    assert len(listed.json()["items"]) == sprints
    assert listed.json()["items"][-1]["end_date"] == NEW_END.isoformat()

    # events: the refresh on the new edition, the close on the old
    refreshed = (
        await conn.execute(
            text(
                "SELECT payload FROM actions.outbox WHERE event_type = 'plan.refreshed' "
                "AND entity_id = :e"
            ),
            {"e": str(new)},
        )
    ).scalar_one()
    assert refreshed["carried"] == ["1A2", "1B1", "2A2"]
    assert refreshed["left"] == ["1A1", "2A1"]
    assert refreshed["previous_plan_id"] == old
    carried_events = await count(
        conn,
        "SELECT count(*) FROM actions.outbox WHERE event_type = 'action.carried' "
        "AND (payload->>'to_plan')::int = :p",
        p=new,
    )
    assert carried_events == 3

    # a closed edition is refreshed no more
    again = await _refresh(client, old, GOOD, etag=await _plan_etag(client, old))
    assert again.status_code == 409, again.text


async def _state(conn: AsyncConnection) -> tuple[int, ...]:
    return (
        await count(conn, "SELECT count(*) FROM actions.plan"),
        await count(conn, "SELECT count(*) FROM actions.plan WHERE status = 'closed'"),
        await count(conn, "SELECT count(*) FROM actions.theme"),
        await count(conn, "SELECT count(*) FROM actions.success_criterion"),
        await count(conn, "SELECT count(*) FROM actions.sprint"),
        await count(conn, "SELECT count(*) FROM actions.action_event"),
        await count(conn, "SELECT count(*) FROM actions.outbox"),
        await count(conn, "SELECT sum(plan_id) FROM actions.action"),
        await count(conn, "SELECT sum(version) FROM actions.action"),
    )


async def test_dates_outside_the_new_period_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    plan = await _plan(conn)
    before = await _state(conn)
    bad = {
        "start_date": NEW_START.isoformat(),
        "end_date": NEW_END.isoformat(),
        "carry": [
            {"ref": "1A2", "due_date": "2029-12-31"},  # the day before the new period
            {"ref": "1B1", "due_sprint": 9},  # the new period has 7 sprints
            {"ref": "9Z9", "due_date": "2030-06-30"},  # no such action
            {"ref": "1A1", "due_date": "2030-06-30"},  # done: stays behind
            {"ref": "2A2", "due_date": "2031-07-01"},  # the day after
        ],
    }
    r = await _refresh(client, plan, bad)
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("carry[0].due_date", "due_outside_plan"),
        ("carry[1].due_sprint", "due_outside_plan"),
        ("carry[2].ref", "unknown"),
        ("carry[3].ref", "done"),
        ("carry[4].due_date", "due_outside_plan"),
    ]
    assert "2029-12-31" not in r.text  # the value is never echoed
    # an open action left without a date, and no default: refused, naming them
    r = await _refresh(client, plan, GOOD | {"default_due_date": None})
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], error["code"]) == ("carry", "dates_missing")
    assert "2A2" in error["message"]
    # a default outside the period, and a period ending before it starts
    r = await _refresh(client, plan, GOOD | {"default_due_date": "2032-01-01"})
    assert [e["field"] for e in r.json()["errors"]] == ["default_due_date"]
    r = await _refresh(client, plan, GOOD | {"end_date": "2029-06-30"})
    assert [e["field"] for e in r.json()["errors"]] == ["end_date"]
    r = await _refresh(client, plan, GOOD | {"end_date": "2045-01-01"})  # past ten years
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("end_date", "period_too_long")
    ]
    assert await _state(conn) == before

    # If-Match is required; only plan managers refresh
    r = await client.post(f"/v1/plans/{plan}/refresh", json=GOOD, headers=manager())
    assert r.status_code == 428
    etag = await _plan_etag(client, plan)
    for other in (who("council", "contributor"), who("police", "plan_manager")):
        r = await client.post(
            f"/v1/plans/{plan}/refresh", json=GOOD, headers=other | {"If-Match": etag}
        )
        assert r.status_code == 403, r.text
    assert await _state(conn) == before


async def test_a_sprint_cannot_close_while_an_earlier_one_is_open(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    plan = await make_plan(conn, "Sprint order", [action("1A1", due_sprint=2)])
    sprints = (await client.get("/v1/sprints", params={"plan_id": plan}, headers=manager())).json()[
        "items"
    ]
    first, second = (f"/v1/sprints/{s['sprint_id']}" for s in sprints[:2])

    async def close(url: str) -> httpx.Response:
        etag = (await client.get(url, headers=manager())).headers["ETag"]
        return await client.post(url + "/close", headers=manager() | {"If-Match": etag})

    events = await count(conn, "SELECT count(*) FROM actions.outbox")
    r = await close(second)
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["field"] == "sprint_id"
    assert r.json()["errors"][0]["code"] == "earlier_sprint_open"
    assert r.json()["open_sprints"] == [1]
    assert (await client.get(second, headers=manager())).json()["status"] == "open"
    assert await count(conn, "SELECT count(*) FROM actions.outbox") == events
    assert (await close(first)).status_code == 200
    assert (await close(second)).status_code == 200


async def test_plans_list_is_a_page(client: httpx.AsyncClient, conn: AsyncConnection) -> None:
    await make_plan(conn, "Page plan A", [action("1A1")])
    await make_plan(conn, "Page plan B", [action("1A1")])
    total = await count(conn, "SELECT count(*) FROM actions.plan")
    r = await client.get(
        "/v1/plans", params={"limit": 1, "offset": 1}, headers=who("ccg", "viewer")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (total, 1, 1, 1)
    second = await conn.scalar(text("SELECT plan_id FROM actions.plan ORDER BY plan_id OFFSET 1"))
    assert body["items"][0]["plan_id"] == second


# -- steps: owner (a role linked to a person), due date, status; reminders ---------------


async def _step_plan(conn: AsyncConnection) -> tuple[int, int]:
    await conn.execute(text("UPDATE actions.plan SET status = 'closed'"))  # only this plan
    plan = await make_plan(
        conn,
        "Step plan",
        [
            action(
                "1A1", due_date="2030-09-30", steps=(("Audit files", ()), ("Report", ("police",)))
            )
        ],
    )
    return plan, await action_id(conn, plan, "1A1")


async def _patch_step(
    client: httpx.AsyncClient, act: int, number: int, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch(
        f"/v1/actions/{act}/steps/{number}",
        json=body,
        headers=manager() | {"If-Match": await etag_of(client, act)},
    )


async def test_steps_get_an_owner_who_is_a_person_a_due_date_and_a_status(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    _, act = await _step_plan(conn)
    made = await client.post(
        "/v1/owners",
        json={"title": "Principal Social Worker", "agency": "council"},
        headers=manager(),
    )
    assert made.status_code == 201, made.text
    owner = made.json()["owner_id"]
    police = (
        await client.post(
            "/v1/owners",
            json={
                "title": "Detective Inspector, MASH",
                "agency": "police",
                "user_subject": "di-7",
                "display_name": "Sam Reid",
            },
            headers=manager(),
        )
    ).json()["owner_id"]

    # a role linked to nobody cannot own a step
    r = await _patch_step(client, act, 1, {"owner_id": owner})
    assert r.status_code == 422, r.text
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("owner_id", "owner_not_a_person")
    ]
    linked = await client.put(
        f"/v1/owners/{owner}/person",
        json={"user_subject": "psw-1", "display_name": "Alex Morgan"},
        headers=manager(),
    )
    assert linked.status_code == 200, linked.text
    assert (linked.json()["user_subject"], linked.json()["display_name"]) == (
        "psw-1",
        "Alex Morgan",
    )
    half = await client.put(
        f"/v1/owners/{owner}/person",
        json={"user_subject": "x", "display_name": None},
        headers=manager(),
    )
    assert [e["field"] for e in half.json()["errors"]] == ["display_name"]
    refused = await client.put(
        f"/v1/owners/{owner}/person",
        json={"user_subject": "x", "display_name": "X"},
        headers=who("council", "contributor"),
    )
    assert refused.status_code == 403

    events = await count(conn, "SELECT count(*) FROM actions.outbox")
    # a due date outside the plan; an owner of an agency taking no part in step 1
    for body, field in (
        ({"owner_id": owner, "due_date": "2032-01-01"}, "due_date"),
        ({"owner_id": police}, "owner_id"),
        ({"owner_id": 999_999}, "owner_id"),
    ):
        r = await _patch_step(client, act, 1, body)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == [field]
    assert await count(conn, "SELECT count(*) FROM actions.outbox") == events

    r = await _patch_step(
        client, act, 1, {"owner_id": owner, "due_date": "2030-03-31", "status": "in_progress"}
    )
    assert r.status_code == 200, r.text
    step = r.json()["steps"][0]
    assert (step["due_date"], step["status"]) == ("2030-03-31", "in_progress")
    assert step["owner"] == {
        "owner_id": owner,
        "title": "Principal Social Worker",
        "agency": "council",
        "user_subject": "psw-1",
        "display_name": "Alex Morgan",
    }
    assert r.json()["steps"][1]["owner"] is None
    assert r.json()["history"][0]["kind"] == "step_updated"
    # the police step may be owned by the police role
    assert (await _patch_step(client, act, 2, {"owner_id": police})).status_code == 200
    assert (await _patch_step(client, act, 3, {"status": "blocked"})).status_code == 404
    kinds = (
        (
            await conn.execute(
                text("SELECT event_type FROM actions.outbox ORDER BY seq DESC LIMIT 2")
            )
        )
        .scalars()
        .all()
    )
    assert kinds == ["action.step_updated", "action.step_updated"]
    assert await count(conn, "SELECT count(*) FROM actions.outbox") == events + 2


async def test_reminders_name_the_step_owner(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    _, act = await _step_plan(conn)
    owner = (
        await client.post(
            "/v1/owners",
            json={
                "title": "Team Manager, Assessment",
                "agency": "council",
                "user_subject": "tm-3",
                "display_name": "Jo Patel",
            },
            headers=manager(),
        )
    ).json()["owner_id"]
    r = await _patch_step(client, act, 1, {"owner_id": owner, "due_date": "2030-03-10"})
    assert r.status_code == 200, r.text
    session = session_on(conn)
    # 1 March: step 1 is due within 14 days; the action (due 30 September) is not
    assert await run_reminders(session, date(2030, 3, 1), 14, 14) == 1
    await session.flush()
    listed = await client.get(
        "/v1/reminders", params={"on": "2030-03-01"}, headers=who("police", "viewer")
    )
    [reminder] = listed.json()["items"]
    assert (reminder["owner_id"], reminder["person"], reminder["user_subject"]) == (
        owner,
        "Jo Patel",
        "tm-3",
    )
    assert (reminder["action_refs"], reminder["step_refs"]) == ([], ["1A1#1"])
    payload = (
        await conn.execute(
            text(
                "SELECT payload FROM actions.outbox WHERE event_type = 'reminder.due' "
                "AND payload->>'reminder_date' = '2030-03-01'"
            )
        )
    ).scalar_one()
    assert (payload["person"], payload["user_subject"], payload["step_refs"]) == (
        "Jo Patel",
        "tm-3",
        ["1A1#1"],
    )
    # a completed step is no longer a reason to remind
    await _patch_step(client, act, 1, {"status": "completed"})
    assert await run_reminders(session, date(2030, 3, 2), 14, 14) == 0
