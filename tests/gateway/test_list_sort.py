"""Issue 18 item 2 at the gateway: its own lists (accounts, agencies, clients, the deny list)
sort by ``?sort=`` (``-`` for descending, ties broken by the id); an unknown field is a 422
problem naming ``sort``. Each order is worked out here from the returned items."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.conftest import Gateway
from tests.support.sorting import assert_same_items_both_ways, assert_sort_refused

PASSWORD = "correct horse battery staple 42"
#: plain lower-case names and codes: Python and any database collation agree on their order
MINE = {"sortcarol": "ccg", "sortalice": "police", "sortbob": "council", "sortdave": "police"}


async def _listed(gw: Gateway, path: str, headers: dict[str, str], sort: str | None) -> Any:
    params = {"limit": 200} | ({"sort": sort} if sort is not None else {})
    r = await gw.http.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_accounts_sort_by_agency_then_username_both_ways(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    for username, agency in MINE.items():
        body = {"username": username, "agency": agency, "roles": ["viewer"], "password": PASSWORD}
        assert (await gw.http.post("/v1/users", json=body, headers=admin)).status_code == 201

    def mine(items: list[dict[str, Any]]) -> list[str]:
        return [u["username"] for u in items if u["username"] in MINE]

    default = mine(await _listed(gw, "/v1/users", admin, None))
    assert default == sorted(MINE)

    ascending = mine(await _listed(gw, "/v1/users", admin, "agency,username"))
    assert ascending == sorted(MINE, key=lambda u: (MINE[u], u))
    # agency descending; within an agency the username (the tie-break) still ascends
    descending = mine(await _listed(gw, "/v1/users", admin, "-agency"))
    by_name = sorted(MINE)
    assert descending == sorted(by_name, key=lambda u: MINE[u], reverse=True)
    assert mine(await _listed(gw, "/v1/users", admin, "-username")) == sorted(MINE, reverse=True)


async def test_agencies_sort_by_code_both_ways(gw: Gateway) -> None:
    headers = await gw.bearer(("actions:read",))
    up = [a["code"] for a in await _listed(gw, "/v1/agencies", headers, "code")]
    down = [a["code"] for a in await _listed(gw, "/v1/agencies", headers, "-code")]
    assert len(up) >= 3
    assert up == sorted(up)
    assert down == list(reversed(up))
    assert [a["code"] for a in await _listed(gw, "/v1/agencies", headers, None)] == up


async def test_clients_sort_by_agency_with_ties_broken_by_id(gw: Gateway) -> None:
    admin = await gw.bearer(("admin",))
    await gw.bearer(("actions:read",), agency="police")
    await gw.bearer(("actions:read",), agency="ccg")
    items = await _listed(gw, "/v1/clients", admin, "-agency")
    pairs = [(c["agency"], c["client_id"]) for c in items]
    # independent order: client id ascending, then agency descending (a stable sort keeps
    # the ids ascending within an agency)
    expected = sorted(sorted(pairs, key=lambda p: p[1]), key=lambda p: p[0], reverse=True)
    assert len(pairs) >= 3
    assert pairs == expected


@pytest.mark.parametrize("path", ["/v1/users", "/v1/agencies", "/v1/clients", "/v1/deny-list"])
async def test_an_unknown_sort_field_is_a_problem_naming_sort(gw: Gateway, path: str) -> None:
    admin = await gw.bearer(("admin",))
    r = await gw.http.get(path, params={"sort": "password_hash"}, headers=admin)
    assert_sort_refused(r, "password_hash")


def _every_field() -> list[tuple[str, str]]:
    from services.gateway.agencies import service as agencies
    from services.gateway.clients import service as clients
    from services.gateway.keys import service as keys
    from services.gateway.users import service as users

    lists = {
        "/v1/users": users.USER_SORT,
        "/v1/agencies": agencies.AGENCY_SORT,
        "/v1/clients": clients.CLIENT_SORT,
        "/v1/deny-list": keys.DENY_SORT,
    }
    return [(path, field) for path, fields in lists.items() for field in fields]


@pytest.mark.parametrize(("path", "field"), _every_field())
async def test_every_allowed_field_sorts_the_same_items(gw: Gateway, path: str, field: str) -> None:
    admin = await gw.bearer(("admin",))
    await assert_same_items_both_ways(lambda sort: _listed(gw, path, admin, sort), field)
