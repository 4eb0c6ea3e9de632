"""ETag/If-Match, Idempotency-Key, outbox on every change, and bad input writing nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, count, etag_of, manager, report, who

COUNCIL = who("council", "contributor")


async def _rows(conn: AsyncConnection) -> tuple[int, int, int, int]:
    return (
        await count(conn, "SELECT count(*) FROM actions.progress_update"),
        await count(conn, "SELECT count(*) FROM actions.action"),
        await count(conn, "SELECT count(*) FROM actions.outbox"),
        await count(conn, "SELECT coalesce(sum(version), 0) FROM actions.action"),
    )


async def test_update_needs_if_match(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "2D1")
    before = await _rows(conn)
    body = {"narrative": "x", "percent_complete": 5, "declared_rag": "green"}
    r = await client.post(f"/v1/actions/{act}/updates", json=body, headers=COUNCIL)
    assert r.status_code == 428
    r = await client.patch(f"/v1/actions/{act}", json={"title": "New"}, headers=manager())
    assert r.status_code == 428
    assert await _rows(conn) == before


async def test_stale_etag_is_412(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "2D1")
    old = await etag_of(client, act)
    first = await report(client, act, COUNCIL, etag=old)
    assert first.status_code == 201
    assert first.headers["ETag"] != old
    before = await _rows(conn)
    second = await report(client, act, COUNCIL, etag=old)
    assert second.status_code == 412
    assert second.json()["current_etag"] == first.headers["ETag"]
    assert await _rows(conn) == before
    # the fresh ETag works
    assert (await report(client, act, COUNCIL, etag=first.headers["ETag"])).status_code == 201


async def test_every_change_writes_an_outbox_event(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "2E1")
    n0 = await count(conn, "SELECT count(*) FROM actions.outbox")
    await report(client, act, COUNCIL, evidence=["WSCB minutes 2017-10"])
    await client.patch(
        f"/v1/actions/{act}",
        json={"indicator_codes": ["CIN-COUNT"], "audit_finding_refs": ["AUD-2017-14/F3"]},
        headers=manager() | {"If-Match": await etag_of(client, act)},
    )
    await client.post(
        f"/v1/actions/{act}/status",
        json={"status": "completed"},
        headers=COUNCIL | {"If-Match": await etag_of(client, act)},
    )
    types = [
        r[0]
        for r in (
            await conn.exec_driver_sql(
                f"SELECT event_type FROM actions.outbox ORDER BY seq OFFSET {n0}"
            )
        ).all()
    ]
    assert types == ["action.progress_reported", "action.updated", "action.status_changed"]
    payloads = (
        (
            await conn.exec_driver_sql(
                f"SELECT payload::text FROM actions.outbox ORDER BY seq OFFSET {n0}"
            )
        )
        .scalars()
        .all()
    )
    assert all("WSCB minutes" not in p for p in payloads)  # no narrative or evidence text
    detail = (await client.get(f"/v1/actions/{act}", headers=COUNCIL)).json()
    assert detail["indicator_codes"] == ["CIN-COUNT"]
    assert detail["audit_finding_refs"] == ["AUD-2017-14/F3"]


async def test_idempotent_replay_and_key_reuse(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "2A1")
    etag = await etag_of(client, act)
    body = {"narrative": "SFEF launched", "percent_complete": 20, "declared_rag": "amber"}
    headers = COUNCIL | {"If-Match": etag, "Idempotency-Key": "sfef-2017-10-01"}
    first = await client.post(f"/v1/actions/{act}/updates", json=body, headers=headers)
    assert first.status_code == 201
    n = await count(conn, "SELECT count(*) FROM actions.progress_update WHERE action_id=:a", a=act)
    again = await client.post(f"/v1/actions/{act}/updates", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (
        await count(conn, "SELECT count(*) FROM actions.progress_update WHERE action_id=:a", a=act)
        == n
    )
    other = await client.post(
        f"/v1/actions/{act}/updates", json=body | {"percent_complete": 30}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


SECRET = "Zebra-Unique-Value-42"


def _create(plan_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "criterion_code": "2C",
        "ref": "2C9",
        "title": "New action",
        "due_date": "2018-03-31",
    } | changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"criterion_code": "9Z", "ref": "9Z1"}, "criterion_code"),  # unknown theme
        ({"ref": "2C"}, "ref"),  # malformed ref
        ({"ref": SECRET}, "ref"),
        ({"ref": "3A9"}, "ref"),  # ref not under its criterion
        ({"due_date": "2020-01-01"}, "due_date"),  # outside the plan
        ({"due_date": None, "due_sprint": 40}, "due_sprint"),
        ({"title": "   "}, "title"),
        ({"indicator_codes": ["bad code!"]}, "indicator_codes.0"),
        ({"audit_finding_refs": [SECRET + " <script>"]}, "audit_finding_refs.0"),
        ({"contributing_agencies": ["Police Force"]}, "contributing_agencies.0"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_action_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    plan_id: int,
    changes: dict[str, Any],
    field: str,
) -> None:
    before = await _rows(conn)
    r = await client.post("/v1/actions", json=_create(plan_id, **changes), headers=manager())
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert SECRET not in r.text
    assert await _rows(conn) == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"declared_rag": "purple"}, "declared_rag"),
        ({"narrative": "   "}, "narrative"),
        ({"narrative": ""}, "narrative"),
        ({"percent_complete": 101}, "percent_complete"),
        ({"step_number": 9}, "step_number"),
        ({"update_date": "2099-01-01"}, "update_date"),
        ({"evidence": [""]}, "evidence.0"),
    ],
)
async def test_bad_update_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    plan_id: int,
    changes: dict[str, Any],
    field: str,
) -> None:
    act = await action_id(conn, plan_id, "2C2")
    before = await _rows(conn)
    body = {"narrative": "ok", "percent_complete": 5, "declared_rag": "green"} | changes
    r = await client.post(
        f"/v1/actions/{act}/updates",
        json=body,
        headers=COUNCIL | {"If-Match": await etag_of(client, act)},
    )
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]]
    assert await _rows(conn) == before


async def test_closed_plan_takes_no_updates(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    plan = await client.get(f"/v1/plans/{plan_id}", headers=manager())
    r = await client.patch(
        f"/v1/plans/{plan_id}",
        json={"status": "closed"},
        headers=manager() | {"If-Match": plan.headers["ETag"]},
    )
    assert r.status_code == 200
    act = await action_id(conn, plan_id, "2C2")
    before = await _rows(conn)
    r = await report(client, act, COUNCIL)
    assert r.status_code == 409
    assert r.json()["errors"][0]["code"] == "plan_closed"
    assert await _rows(conn) == before


async def test_plan_manager_creates_an_action(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    owners = (await client.get("/v1/owners", headers=manager())).json()["items"]
    body = _create(
        plan_id,
        owner_ids=[owners[0]["owner_id"]],
        steps=[{"text": "Probation to brief staff", "agencies": ["probation"]}],
    )
    r = await client.post("/v1/actions", json=body, headers=manager() | {"Idempotency-Key": "k1"})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["contributing_agencies"] == ["probation"]
    assert created["sprint_number"] == 3  # 2018-03-31 falls in weeks 25-36
    assert r.headers["ETag"]
    dup = await client.post("/v1/actions", json=body, headers=manager())
    assert dup.status_code == 409
    assert dup.json()["errors"][0]["field"] == "ref"


async def test_an_action_without_a_due_date_is_created_and_not_overdue(
    client: httpx.AsyncClient, plan_id: int
) -> None:
    # regression: the overdue flag was SQL NULL without a due date, and the answer a 500
    body = _create(plan_id)
    del body["due_date"]
    r = await client.post("/v1/actions", json=body, headers=manager())
    assert r.status_code == 201, r.text
    assert r.json()["overdue"] is False
    listed = await client.get("/v1/actions?ref=2C9", headers=manager())
    assert listed.status_code == 200
    assert [a["overdue"] for a in listed.json()["items"]] == [False]
