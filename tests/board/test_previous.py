"""The previous meeting of the same type is the "since" of every "what changed"."""

from __future__ import annotations

import httpx

from tests.board.conftest import CLERK, VIEWER, as_, meeting


async def test_previous_is_the_latest_earlier_meeting_of_the_same_type(
    client: httpx.AsyncClient,
) -> None:
    # recorded out of date order, two types interleaved, two on one date
    plan = [
        ("improvement-board", "2026-03-09"),
        ("performance-clinic", "2026-02-20"),
        ("improvement-board", "2026-01-12"),
        ("improvement-board", "2026-02-09"),
        ("performance-clinic", "2026-03-20"),
        ("improvement-board", "2026-02-09"),
        ("scrutiny-committee", "2026-02-10"),
    ]
    made: list[tuple[str, str, int]] = []
    for kind, day in plan:
        r = await client.post(
            "/v1/meetings", json=meeting(meeting_type=kind, meeting_date=day), headers=as_(CLERK)
        )
        assert r.status_code == 201, r.text
        made.append((kind, day, r.json()["meeting_id"]))

    # independent rule: order each type's meetings by (date, order recorded)
    expected: dict[int, int | None] = {}
    for kind in {k for k, _, _ in made}:
        ordered = sorted(
            ((day, i, mid) for i, (k, day, mid) in enumerate(made) if k == kind),
        )
        for n, (_, _, mid) in enumerate(ordered):
            expected[mid] = ordered[n - 1][2] if n else None

    for _, _, mid in made:
        r = await client.get(f"/v1/meetings/{mid}/previous", headers=as_(VIEWER))
        if expected[mid] is None:
            assert r.status_code == 404, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["meeting_type"]
        else:
            assert r.status_code == 200, r.text
            assert r.json()["meeting_id"] == expected[mid]
            assert r.headers["ETag"]
        one = await client.get(f"/v1/meetings/{mid}", headers=as_(VIEWER))
        assert one.json()["previous_meeting_id"] == expected[mid]


async def test_moving_a_meeting_changes_what_precedes_it(client: httpx.AsyncClient) -> None:
    ids = []
    for day in ("2026-01-12", "2026-02-09"):
        r = await client.post("/v1/meetings", json=meeting(meeting_date=day), headers=as_(CLERK))
        ids.append(r.json()["meeting_id"])
    first, second = ids
    r = await client.get(f"/v1/meetings/{second}/previous", headers=as_(VIEWER))
    assert r.json()["meeting_id"] == first
    got = await client.get(f"/v1/meetings/{first}", headers=as_(CLERK))
    r = await client.patch(
        f"/v1/meetings/{first}",
        json={"meeting_date": "2026-03-09"},
        headers=as_(CLERK) | {"If-Match": got.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["previous_meeting_id"] == second
    assert (
        await client.get(f"/v1/meetings/{second}/previous", headers=as_(VIEWER))
    ).status_code == 404
    # another type is never the "since"
    got = await client.get(f"/v1/meetings/{first}", headers=as_(CLERK))
    r = await client.patch(
        f"/v1/meetings/{first}",
        json={"meeting_type": "performance-clinic"},
        headers=as_(CLERK) | {"If-Match": got.headers["ETag"]},
    )
    assert r.json()["previous_meeting_id"] is None
