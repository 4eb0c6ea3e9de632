"""The rights matrix: every agency reads; contributors report on what their agency leads or
contributes to (per action and per step); plan managers (council) change the structure."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, etag_of, manager, report, who

AGENCIES = ("council", "ccg", "police", "probation")


@pytest.mark.parametrize("agency", AGENCIES)
async def test_every_agency_reads_the_plan(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int, agency: str
) -> None:
    headers = who(agency, "viewer")
    r = await client.get("/v1/actions", params={"plan_id": plan_id, "limit": 200}, headers=headers)
    assert r.status_code == 200
    assert r.json()["total"] == 87
    act = await action_id(conn, plan_id, "3C1")
    assert (await client.get(f"/v1/actions/{act}", headers=headers)).status_code == 200
    for path in (
        "/v1/plans",
        "/v1/themes",
        "/v1/success-criteria",
        "/v1/sprints",
        "/v1/recommendations",
        "/v1/risks",
        "/v1/board-summary",
        "/v1/owners",
    ):
        assert (await client.get(path, headers=headers)).status_code == 200, path


async def test_no_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/actions")).status_code == 401


# (ref, step or None) -> agencies whose contributors may report on it
MATRIX = {
    ("2C3", None): {"council"},  # council only
    ("1A1", None): {"council", "probation"},  # probation contributes (step 4)
    ("1A1", 4): {"council", "probation"},  # the probation step
    ("1A1", 1): {"council"},  # a council step of the same action
    ("5D2", None): {"council", "police", "probation"},
    ("5D2", 2): {"council", "police"},  # "Engage with the Police ..."
}


@pytest.mark.parametrize(("ref", "step"), list(MATRIX))
@pytest.mark.parametrize("agency", AGENCIES)
async def test_contributors_report_only_where_involved(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    plan_id: int,
    agency: str,
    ref: str,
    step: int | None,
) -> None:
    act = await action_id(conn, plan_id, ref)
    r = await report(client, act, who(agency, "contributor"), step=step)
    expected = 201 if agency in MATRIX[(ref, step)] else 403
    assert r.status_code == expected, r.text


async def test_partner_system_with_write_scope_acts_for_its_agency(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    police_system = who("police", scopes=("actions:write",), kind="client")
    ok = await report(client, await action_id(conn, plan_id, "5D2"), police_system)
    assert ok.status_code == 201
    assert ok.json()["agency"] == "police"
    no = await report(client, await action_id(conn, plan_id, "2C3"), police_system)
    assert no.status_code == 403
    read_only = who("police", scopes=("actions:read",), kind="client")
    assert (
        await report(client, await action_id(conn, plan_id, "5D2"), read_only)
    ).status_code == 403


async def test_viewers_and_approvers_do_not_report(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "2C3")
    for role in ("viewer", "approver", "auditor"):
        assert (await report(client, act, who("council", role))).status_code == 403


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (manager(), 200),
        (who("council", "admin"), 200),
        (who("council", "contributor"), 403),
        (who("police", "plan_manager"), 403),
        (who("ccg", "admin"), 403),
    ],
)
async def test_only_council_plan_managers_change_structure(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    plan_id: int,
    headers: Mapping[str, str],
    expected: int,
) -> None:
    act = await action_id(conn, plan_id, "3C1")
    r = await client.patch(
        f"/v1/actions/{act}",
        json={"contributing_agencies": ["ccg"]},
        headers=headers | {"If-Match": await etag_of(client, act)},
    )
    assert r.status_code == expected, r.text


async def test_adding_a_partner_lets_it_report(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "3C1")  # health assessments: no partner named
    assert (await report(client, act, who("ccg", "contributor"))).status_code == 403
    r = await client.patch(
        f"/v1/actions/{act}",
        json={"contributing_agencies": ["ccg"]},
        headers=manager() | {"If-Match": await etag_of(client, act)},
    )
    assert r.status_code == 200
    assert (await report(client, act, who("ccg", "contributor"))).status_code == 201
    mine = await client.get("/v1/actions/mine", headers=who("ccg", "viewer"))
    assert [a["ref"] for a in mine.json()["items"]] == ["3C1"]


async def test_unknown_action_is_404(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/actions/999999", headers=who("police", "viewer"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
