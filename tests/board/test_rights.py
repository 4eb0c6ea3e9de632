"""Who may read and write meetings: the service's object-level rules on top of rights.py."""

from __future__ import annotations

import httpx
import pytest

from services.gateway import policy
from shared.identity import Caller
from tests.board.conftest import CLERK, as_, meeting
from tests.support.tokens import caller

WRITERS = [
    caller("council", ("plan_manager",)),
    caller("council", ("admin",)),
    caller("council", ("board_admin",)),
    caller("police", ("board_admin",)),
    caller("ccg", (), scopes=("board:write",), kind="client"),
]
NOT_WRITERS = [
    caller("council", ("viewer",)),
    caller("council", ("contributor",)),
    caller("council", ("approver",)),
    caller("council", ("auditor",)),
    caller("police", ("plan_manager",)),  # a plan manager of a partner agency
    caller("ccg", (), scopes=("board:read",), kind="client"),
    caller("ccg", (), scopes=("actions:write", "audit:write"), kind="client"),
]
READERS = [caller("police", (role,)) for role in sorted(policy.ROLES)] + [
    caller("ccg", (), scopes=("board:read",), kind="client")
]
NOT_READERS = [caller("ccg", (), scopes=("actions:read", "kpis:read"), kind="client")]


def _name(who: Caller) -> str:
    return f"{who.agency}:{','.join(sorted(who.roles | who.scopes))}"


@pytest.mark.parametrize("who", WRITERS, ids=_name)
async def test_writers_may_record_change_and_delete(client: httpx.AsyncClient, who: Caller) -> None:
    r = await client.post("/v1/meetings", json=meeting(), headers=as_(who))
    assert r.status_code == 201, r.text
    mid, etag = r.json()["meeting_id"], r.headers["ETag"]
    r = await client.patch(
        f"/v1/meetings/{mid}", json={"notes": "n"}, headers=as_(who) | {"If-Match": etag}
    )
    assert r.status_code == 200, r.text
    r = await client.delete(
        f"/v1/meetings/{mid}", headers=as_(who) | {"If-Match": r.headers["ETag"]}
    )
    assert r.status_code == 204


@pytest.mark.parametrize("who", NOT_WRITERS, ids=_name)
async def test_others_may_not_write(client: httpx.AsyncClient, who: Caller) -> None:
    made = await client.post("/v1/meetings", json=meeting(), headers=as_(CLERK))
    mid, etag = made.json()["meeting_id"], made.headers["ETag"]
    r = await client.post("/v1/meetings", json=meeting(), headers=as_(who))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.patch(
        f"/v1/meetings/{mid}", json={"notes": "n"}, headers=as_(who) | {"If-Match": etag}
    )
    assert r.status_code in (403, 404)
    r = await client.delete(f"/v1/meetings/{mid}", headers=as_(who) | {"If-Match": etag})
    assert r.status_code in (403, 404)
    after = await client.get(f"/v1/meetings/{mid}", headers=as_(CLERK))
    assert after.headers["ETag"] == etag


@pytest.mark.parametrize("who", READERS, ids=_name)
async def test_every_person_and_board_read_clients_read(
    client: httpx.AsyncClient, who: Caller
) -> None:
    made = await client.post("/v1/meetings", json=meeting(), headers=as_(CLERK))
    mid = made.json()["meeting_id"]
    for path in ("/v1/meetings", f"/v1/meetings/{mid}", "/v1/meeting-types"):
        assert (await client.get(path, headers=as_(who))).status_code == 200, path


@pytest.mark.parametrize("who", NOT_READERS, ids=_name)
async def test_clients_without_board_read_are_refused(
    client: httpx.AsyncClient, who: Caller
) -> None:
    made = await client.post("/v1/meetings", json=meeting(), headers=as_(CLERK))
    mid = made.json()["meeting_id"]
    for path in ("/v1/meetings", f"/v1/meetings/{mid}", f"/v1/meetings/{mid}/previous"):
        assert (await client.get(path, headers=as_(who))).status_code == 403, path


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("GET", "/v1/meetings", "board:read"),
        ("GET", "/v1/meetings/1/previous", "board:read"),
        ("GET", "/v1/meeting-types", "board:read"),
        ("POST", "/v1/meetings", "board:write"),
        ("PATCH", "/v1/meetings/1", "board:write"),
        ("DELETE", "/v1/meetings/1", "board:write"),
        ("POST", "/v1/meeting-types", "board:administer"),
    ],
)
def test_gateway_policy_names_the_board_permissions(
    method: str, path: str, permission: str
) -> None:
    assert policy.required_permission(method, path) == permission


def test_gateway_policy_grants_as_the_statement_says() -> None:
    person = {role: caller("council", (role,)) for role in policy.ROLES}
    assert all(policy.allows(who, "board:read") for who in person.values())
    writers = {r for r, who in person.items() if policy.allows(who, "board:write")}
    assert writers == {"plan_manager", "admin", "board_admin"}
    admins = {r for r, who in person.items() if policy.allows(who, "board:administer")}
    assert admins == {"admin", "board_admin"}
    reader = caller("ccg", (), scopes=("board:read",), kind="client")
    assert policy.allows(reader, "board:read")
    assert not policy.allows(reader, "board:write")
    other = caller("ccg", (), scopes=("actions:read", "kpis:read", "audit:read"), kind="client")
    assert not policy.allows(other, "board:read")
