"""Issue 18 item 2 in board: its lists sort by ``?sort=`` (``-`` descending, ties broken by
the id); the default order is unchanged (meetings latest first, the later id first on one
date); an unknown field is a 422 problem naming ``sort``. Each expected order is worked out
here from the returned items."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.board.conftest import MANAGER, as_, meeting
from tests.support.sorting import assert_same_items_both_ways, assert_sort_refused

DATES = ["2026-03-10", "2026-01-12", "2026-03-10", "2026-02-09"]


async def _items(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(path, params={"limit": 200, **params}, headers=as_(MANAGER))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


async def test_meetings_sort_by_date_both_ways(client: httpx.AsyncClient) -> None:
    for n, day in enumerate(DATES):
        body = meeting(meeting_date=day, title=f"Board {n}")
        r = await client.post("/v1/meetings", json=body, headers=as_(MANAGER))
        assert r.status_code == 201, r.text
    every = await _items(client, "/v1/meetings")
    assert len(every) >= len(DATES)
    by_id = sorted(every, key=lambda m: m["meeting_id"])

    def ids(items: list[dict[str, Any]]) -> list[int]:
        return [m["meeting_id"] for m in items]

    # the default as before: latest date first, the later id first on one date
    latest = sorted(by_id, key=lambda m: (m["meeting_date"], m["meeting_id"]), reverse=True)
    assert ids(every) == ids(latest)
    ascending = sorted(
        sorted(by_id, key=lambda m: m["meeting_id"], reverse=True),
        key=lambda m: m["meeting_date"],
    )
    assert ids(await _items(client, "/v1/meetings", sort="meeting_date")) == ids(ascending)
    by_id_up = await _items(client, "/v1/meetings", sort="meeting_id")
    assert ids(by_id_up) == ids(by_id)
    by_id_down = await _items(client, "/v1/meetings", sort="-meeting_id")
    assert ids(by_id_down) == list(reversed(ids(by_id)))


async def test_meeting_types_sort_by_creation_both_ways(client: httpx.AsyncClient) -> None:
    every = await _items(client, "/v1/meeting-types")
    assert len(every) >= 4
    up = await _items(client, "/v1/meeting-types", sort="created_at")
    down = await _items(client, "/v1/meeting-types", sort="-created_at")
    assert [t["created_at"] for t in up] == sorted(t["created_at"] for t in every)
    assert [t["created_at"] for t in down] == sorted((t["created_at"] for t in every), reverse=True)


@pytest.mark.parametrize("path", ["/v1/meetings", "/v1/meeting-types"])
async def test_an_unknown_sort_field_is_a_problem_naming_sort(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path, params={"sort": "secret_column"}, headers=as_(MANAGER))
    assert_sort_refused(r, "secret_column")


async def test_a_meetings_packs_refuse_an_unknown_sort_field(client: httpx.AsyncClient) -> None:
    made = await client.post("/v1/meetings", json=meeting(), headers=as_(MANAGER))
    path = f"/v1/meetings/{made.json()['meeting_id']}/packs"
    r = await client.get(path, params={"sort": "signature"}, headers=as_(MANAGER))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["sort"]
    assert (await client.get(path, params={"sort": "-created_at"}, headers=as_(MANAGER))).is_success


def _every_field() -> list[tuple[str, str]]:
    from services.board.meetings import service as meetings
    from services.board.packs import service as packs

    lists = {
        "/v1/meetings": meetings.MEETING_SORT,
        "/v1/meeting-types": meetings.TYPE_SORT,
        "/v1/meetings/{id}/packs": packs.PACK_SORT,
    }
    return [(path, field) for path, fields in lists.items() for field in fields]


@pytest.mark.parametrize(("path", "field"), _every_field())
async def test_every_allowed_field_sorts_the_same_items(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    made = await client.post("/v1/meetings", json=meeting(), headers=as_(MANAGER))
    assert made.status_code == 201, made.text
    path = path.replace("{id}", str(made.json()["meeting_id"]))
    await assert_same_items_both_ways(lambda sort: _items(client, path, sort=sort), field)


async def test_status_lists_sort_in_memory_like_every_list(
    board_app: Any, client: httpx.AsyncClient
) -> None:
    """The statuses are computed from evidence, not read in SQL order: sorted all the same."""
    from services.board.working import rule
    from services.board.working.service import EvidenceCache
    from tests.board.answers import ANSWERS, Answers

    recs = [
        {**ANSWERS["/v1/recommendations"][0], "recommendation_id": 50 + n, "number": n}
        for n in (10, 2, 1)
    ]
    board_app.state.evidence = EvidenceCache(Answers({"/v1/recommendations": recs}), "WIRRAL", 60)
    path = "/v1/board/recommendations-status"
    default = await _items(client, path)
    assert [s["code"] for s in default] == ["ofsted 1", "ofsted 2", "ofsted 10"]  # as numbers
    assert [s["code"] for s in await _items(client, path, sort="-code")] == [
        "ofsted 10",
        "ofsted 2",
        "ofsted 1",
    ]
    criteria = await _items(client, "/v1/board/criteria-status", sort="-status,code")
    expected = sorted(
        sorted(criteria, key=lambda s: (s["code"], s["id"])),
        key=lambda s: rule.STATUSES.index(s["status"]),
        reverse=True,
    )
    assert [s["id"] for s in criteria] == [s["id"] for s in expected]
    assert_sort_refused(
        await client.get(path, params={"sort": "text"}, headers=as_(MANAGER)), "text"
    )
