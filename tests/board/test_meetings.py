"""Meetings: CRUD with ETag/If-Match and Idempotency-Key, minutes, paging, events, errors."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.board.conftest import CLERK, MANAGER, VIEWER, as_, meeting

SEEDED = {
    "improvement-board",
    "performance-clinic",
    "scrutiny-committee",
    "corporate-parenting-board",
}


async def _events(connection: AsyncConnection, entity_id: object) -> list[str]:
    rows = await connection.execute(
        text("SELECT event_type FROM board.outbox WHERE entity_id = :id ORDER BY seq"),
        {"id": str(entity_id)},
    )
    return [r[0] for r in rows]


async def test_four_types_are_seeded_and_an_administrator_adds_one(
    client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    r = await client.get("/v1/meeting-types", headers=as_(VIEWER))
    assert r.status_code == 200
    assert {t["code"] for t in r.json()["items"]} == SEEDED
    new = {"code": "health-and-wellbeing", "name": "Health and Wellbeing Board"}
    r = await client.post("/v1/meeting-types", json=new, headers=as_(CLERK))
    assert r.status_code == 201, r.text
    assert await _events(board_connection, "health-and-wellbeing") == ["meeting_type.created"]
    again = await client.post("/v1/meeting-types", json=new, headers=as_(CLERK))
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["errors"][0]["field"] == "code"
    r = await client.get("/v1/meeting-types", headers=as_(VIEWER))
    assert r.json()["total"] == 5
    # a meeting of the new type can be recorded
    made = await client.post(
        "/v1/meetings", json=meeting(meeting_type="health-and-wellbeing"), headers=as_(CLERK)
    )
    assert made.status_code == 201, made.text


async def test_plan_manager_may_not_add_types(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/meeting-types", json={"code": "x-board", "name": "X"}, headers=as_(MANAGER)
    )
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"


async def test_create_read_update_delete(
    client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    r = await client.post("/v1/meetings", json=meeting(), headers=as_(MANAGER))
    assert r.status_code == 201, r.text
    made = r.json()
    mid = made["meeting_id"]
    assert [a["person_name"] for a in made["attendees"]] == ["A. Jones", "B. Smith"]
    assert [a["position"] for a in made["agenda"]] == [1, 2]
    assert made["decisions"][0]["agenda_position"] == 1
    arising = made["actions_arising"]
    assert [(a["plan_action_ref"], a["is_new_action"]) for a in arising] == [
        ("1A1", False),
        (None, True),
    ]
    assert made["previous_meeting_id"] is None
    etag = r.headers["ETag"]

    got = await client.get(f"/v1/meetings/{mid}", headers=as_(VIEWER))
    assert got.status_code == 200
    assert got.headers["ETag"] == etag
    assert got.json() == made

    # update without If-Match: 428; with a stale one: 412
    change = {"title": "Improvement Board, March (rescheduled)", "agenda": [{"title": "Only"}]}
    r = await client.patch(f"/v1/meetings/{mid}", json=change, headers=as_(MANAGER))
    assert r.status_code == 428
    stale = as_(MANAGER) | {"If-Match": '"meeting-1-v99"'}
    r = await client.patch(f"/v1/meetings/{mid}", json=change, headers=stale)
    assert r.status_code == 412
    r = await client.patch(
        f"/v1/meetings/{mid}", json=change, headers=as_(MANAGER) | {"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["title"] == change["title"]
    assert [a["title"] for a in updated["agenda"]] == ["Only"]
    # lists not given are kept
    assert updated["attendees"] == made["attendees"]
    assert updated["actions_arising"] == made["actions_arising"]
    assert updated["version"] == made["version"] + 1
    assert updated["updated_by"] == "manager"
    new_etag = r.headers["ETag"]
    assert new_etag != etag
    # the first ETag no longer matches
    r = await client.patch(
        f"/v1/meetings/{mid}", json={"notes": "x"}, headers=as_(MANAGER) | {"If-Match": etag}
    )
    assert r.status_code == 412

    r = await client.delete(f"/v1/meetings/{mid}", headers=as_(MANAGER) | {"If-Match": etag})
    assert r.status_code == 412
    r = await client.delete(f"/v1/meetings/{mid}", headers=as_(MANAGER) | {"If-Match": new_etag})
    assert r.status_code == 204
    assert (await client.get(f"/v1/meetings/{mid}", headers=as_(VIEWER))).status_code == 404
    left = await board_connection.scalar(
        text("SELECT count(*) FROM board.attendee WHERE meeting_id = :m"), {"m": mid}
    )
    assert left == 0
    assert await _events(board_connection, mid) == [
        "meeting.created",
        "meeting.updated",
        "meeting.deleted",
    ]


async def test_idempotency_key_returns_the_first_answer(
    client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    headers = as_(CLERK) | {"Idempotency-Key": "board-meeting-1"}
    first = await client.post("/v1/meetings", json=meeting(), headers=headers)
    second = await client.post("/v1/meetings", json=meeting(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    count = await board_connection.scalar(text("SELECT count(*) FROM board.meeting"))
    assert count == 1
    other = await client.post("/v1/meetings", json=meeting(title="Other"), headers=headers)
    assert other.status_code == 422


async def test_paging_and_filters(client: httpx.AsyncClient) -> None:
    dates = ["2026-01-12", "2026-02-09", "2026-03-09"]
    for d in dates:
        r = await client.post("/v1/meetings", json=meeting(meeting_date=d), headers=as_(CLERK))
        assert r.status_code == 201
    r = await client.post(
        "/v1/meetings",
        json=meeting(meeting_type="scrutiny-committee", meeting_date="2026-02-01"),
        headers=as_(CLERK),
    )
    assert r.status_code == 201
    r = await client.get(
        "/v1/meetings",
        params={"meeting_type": "improvement-board", "limit": 2},
        headers=as_(VIEWER),
    )
    page = r.json()
    assert page["total"] == 3
    assert page["limit"] == 2
    assert [m["meeting_date"] for m in page["items"]] == sorted(dates, reverse=True)[:2]
    r = await client.get(
        "/v1/meetings",
        params={"meeting_type": "improvement-board", "limit": 2, "offset": 2},
        headers=as_(VIEWER),
    )
    assert [m["meeting_date"] for m in r.json()["items"]] == ["2026-01-12"]
    r = await client.get(
        "/v1/meetings", params={"from": "2026-02-01", "to": "2026-02-28"}, headers=as_(VIEWER)
    )
    assert sorted(m["meeting_date"] for m in r.json()["items"]) == ["2026-02-01", "2026-02-09"]
    r = await client.get("/v1/meetings", params={"limit": 1000}, headers=as_(VIEWER))
    assert r.status_code == 422


async def test_errors_are_problems_naming_the_field_without_the_value(
    client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    cases = [
        (meeting(meeting_type="no-such-type"), "meeting_type"),
        (meeting(actions_arising=[{"description": "x", "plan_action_ref": "ZZ-SECRET"}]), None),
        (meeting(decisions=[{"decision": "d", "agenda_position": 3}]), "decisions[0]"),
        (meeting(attendees=[{"agency": "police", "person_name": "", "person_role": "r"}]), None),
        (meeting(title="t\x00"), None),
        (meeting(unexpected=1), None),
    ]
    for body, field in cases:
        r = await client.post("/v1/meetings", json=body, headers=as_(CLERK))
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "ZZ-SECRET" not in r.text
        if field:
            assert r.json()["errors"][0]["field"].startswith(field)
    assert await board_connection.scalar(text("SELECT count(*) FROM board.meeting")) == 0
    assert await board_connection.scalar(text("SELECT count(*) FROM board.outbox")) == 0
    r = await client.get("/v1/meetings/99999999", headers=as_(VIEWER))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    made = (await client.post("/v1/meetings", json=meeting(), headers=as_(CLERK))).json()
    get = await client.get(f"/v1/meetings/{made['meeting_id']}", headers=as_(CLERK))
    r = await client.patch(
        f"/v1/meetings/{made['meeting_id']}",
        json={"title": None},
        headers=as_(CLERK) | {"If-Match": get.headers["ETag"]},
    )
    assert r.status_code == 422
    r = await client.patch(
        f"/v1/meetings/{made['meeting_id']}",
        json={"agenda": []},
        headers=as_(CLERK) | {"If-Match": get.headers["ETag"]},
    )
    # the decision names agenda item 1, which would no longer exist
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "decisions[0].agenda_position"
    unchanged = await client.get(f"/v1/meetings/{made['meeting_id']}", headers=as_(CLERK))
    assert unchanged.json() == get.json()


async def test_two_people_sharing_the_web_client_do_not_share_idempotency_keys(
    client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    """Every person's token names the same front-end client: the key space is the person's
    (promise R6), so a second writer's POST with the same key and body makes its own meeting
    instead of receiving the first writer's stored answer."""
    key = {"Idempotency-Key": "board-shared-key"}
    first = await client.post("/v1/meetings", json=meeting(), headers=as_(CLERK) | key)
    second = await client.post("/v1/meetings", json=meeting(), headers=as_(MANAGER) | key)
    assert first.status_code == second.status_code == 201
    assert first.json()["meeting_id"] != second.json()["meeting_id"]
    count = await board_connection.scalar(text("SELECT count(*) FROM board.meeting"))
    assert count == 2
