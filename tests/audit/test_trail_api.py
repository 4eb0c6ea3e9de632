"""The trail over HTTP: relays append once per event id, readers search, verify, export."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.identity import Caller
from tests.audit.conftest import as_, event, reader, relay_caller
from tests.support.tokens import caller


async def post_events(
    client: httpx.AsyncClient, events: list[dict[str, Any]], who: Caller | None = None
) -> httpx.Response:
    return await client.post(
        "/v1/trail/events", json={"events": events}, headers=as_(who or relay_caller())
    )


async def test_a_batch_is_stored_once_and_reposting_it_adds_nothing(
    client: httpx.AsyncClient,
) -> None:
    batch = [event(), event(entity_id="5C2"), event()]
    first = await post_events(client, batch)
    assert first.status_code == 200, first.text
    assert first.json()["new"] == 3
    assert first.json()["stored"] == [e["event_id"] for e in batch]
    again = await post_events(client, [*batch, batch[0]])
    assert again.json()["new"] == 0
    assert again.json()["head_seq"] == first.json()["head_seq"]
    found = await client.get("/v1/trail", params={"source": "actions"}, headers=as_(reader()))
    assert found.json()["total"] == 3
    verified = await client.get("/v1/trail/verify", headers=as_(reader()))
    assert verified.json()["valid"] is True


@pytest.mark.parametrize(
    "who",
    [
        caller("council", ("admin",), ("trail:append",)),  # a person, not a relay
        Caller(
            "x",
            "council",
            scopes=frozenset({"trail:read"}),
            client_id="actions-relay",
            kind="client",
        ),
        relay_caller(agency="police"),
        Caller("x", "council", scopes=frozenset({"trail:append"}), client_id="siem", kind="client"),
    ],
    ids=["user", "no-scope", "other-agency", "not-a-relay"],
)
async def test_only_a_council_relay_with_trail_append_may_append(
    client: httpx.AsyncClient, who: Caller
) -> None:
    answer = await post_events(client, [event()], who)
    assert answer.status_code == 403
    assert (await client.get("/v1/trail", headers=as_(reader()))).json()["total"] == 0


async def test_without_a_token_appending_is_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/v1/trail/events", json={"events": [event()]})
    assert answer.status_code == 401


async def test_numbers_outside_i_json_are_refused_naming_the_field_and_nothing_is_written(
    client: httpx.AsyncClient,
) -> None:
    answer = await post_events(client, [event(), event(payload={"n": 2**60})])
    assert answer.status_code == 422
    assert "events[1].payload" in answer.text
    assert str(2**60) not in answer.text
    assert (await client.get("/v1/trail", headers=as_(reader()))).json()["total"] == 0


@pytest.mark.parametrize(
    "when",
    ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59.999999+00:00", "0001-01-01T00:00:00+05:00"],
    ids=["first-instant", "last-instant", "before-the-first"],
)
async def test_a_time_the_database_would_keep_as_infinity_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, when: str
) -> None:
    """The driver writes the first and last instants as ``-infinity``/``infinity``: stored,
    such an event no longer hashed to what was sent and verify failed with a ValueError."""
    answer = await post_events(client, [event(), event(occurred_at=when)])
    assert answer.status_code == 422, answer.text
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["events.1.occurred_at"], fields
    assert (await client.get("/v1/trail", headers=as_(reader()))).json()["total"] == 0
    edge = await post_events(client, [event(occurred_at="0001-01-01T00:00:01+00:00")])
    assert edge.status_code == 200, edge.text
    verified = await client.get("/v1/trail/verify", headers=as_(reader()))
    assert verified.json()["valid"] is True


async def test_search_by_entity_actor_request_and_time_shows_who_what_when_why(
    client: httpx.AsyncClient,
) -> None:
    police = {"subject": "pc-1", "agency": "police", "client_id": "police-crm", "kind": "client"}
    await post_events(
        client,
        [
            event(
                entity_type="indicator",
                entity_id="CP-ICPC",
                request_id="r-1",
                purpose="monthly return",
            ),
            event(actor=police, entity_id="5B3", payload={"before": "d1", "after": "d2"}),
        ],
    )
    rows = (
        await client.get(
            "/v1/trail",
            params={"entity_type": "indicator", "entity_id": "CP-ICPC"},
            headers=as_(reader()),
        )
    ).json()["items"]
    assert len(rows) == 1
    assert rows[0]["purpose"] == "monthly return"
    assert rows[0]["request_id"] == "r-1"
    assert rows[0]["who"]["subject"] == "jo"
    assert rows[0]["source"] == "actions"
    by_actor = await client.get("/v1/trail", params={"agency": "police"}, headers=as_(reader()))
    assert [r["entity_id"] for r in by_actor.json()["items"]] == ["5B3"]
    by_client = await client.get(
        "/v1/trail", params={"client_id": "police-crm"}, headers=as_(reader())
    )
    assert by_client.json()["items"][0]["payload"] == {"before": "d1", "after": "d2"}
    by_request = await client.get("/v1/trail", params={"request_id": "r-1"}, headers=as_(reader()))
    assert by_request.json()["total"] == 1
    future = await client.get(
        "/v1/trail",
        params={"occurred_from": "2999-01-01T00:00:00Z", "source": "actions"},
        headers=as_(reader()),
    )
    assert future.json()["total"] == 0


async def test_reading_the_trail_needs_trail_read_and_is_itself_recorded(
    client: httpx.AsyncClient,
) -> None:
    await post_events(client, [event()])
    refused = await client.get("/v1/trail", headers=as_(caller("council", ("approver",))))
    assert refused.status_code == 403
    who = reader()
    await client.get("/v1/trail", params={"entity_id": "5A1"}, headers=as_(who))
    reads = await client.get(
        "/v1/trail", params={"event_type": "trail.searched", "order": "oldest"}, headers=as_(who)
    )
    first = reads.json()["items"][0]
    assert first["source"] == "audit"
    assert first["who"]["client_id"] == who.client_id
    assert first["payload"]["filters"]["entity_id"] == "5A1"


async def test_a_partner_reader_sees_only_its_own_agencys_events(client: httpx.AsyncClient) -> None:
    police = {"subject": "pc-1", "agency": "police", "kind": "user"}
    await post_events(client, [event(), event(actor=police)])
    seen = await client.get(
        "/v1/trail", params={"source": "actions"}, headers=as_(reader("police"))
    )
    assert [r["who"]["agency"] for r in seen.json()["items"]] == ["police"]


async def test_checkpoints_are_signed_exported_and_checked(client: httpx.AsyncClient) -> None:
    await post_events(client, [event(), event()])
    admin = caller("council", ("admin",))
    made = await client.post("/v1/trail/checkpoints", headers=as_(admin))
    assert made.status_code == 201
    exported = (await client.get("/v1/trail/checkpoints", headers=as_(reader()))).json()["items"]
    assert exported[0]["signature"] == made.json()["signature"]
    key = (await client.get("/v1/trail/checkpoints/public-key", headers=as_(reader()))).json()
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert key["key_id"] == made.json()["key_id"]
    ok = await client.post("/v1/trail/checkpoints/verify", json=made.json(), headers=as_(reader()))
    assert ok.json()["valid"] is True
    assert ok.json()["checkpoints_checked"] == 2
    forged = {**made.json(), "hash": "0" * 64}
    bad = await client.post("/v1/trail/checkpoints/verify", json=forged, headers=as_(reader()))
    assert bad.json()["valid"] is False
    assert "signature" in bad.json()["first_broken"]["reason"]
    assert (await client.post("/v1/trail/checkpoints", headers=as_(reader()))).status_code == 403


async def test_a_checkpoint_is_signed_each_time_the_head_passes_the_interval(
    client: httpx.AsyncClient,
    audit_app: FastAPI,
) -> None:
    before = (await client.get("/v1/trail/checkpoints", headers=as_(reader()))).json()["total"]
    audit_app.state.settings = audit_app.state.settings.model_copy(
        update={"checkpoint_every_events": 3}
    )
    for _ in range(3):
        await post_events(client, [event() for _ in range(3)])
    after = (await client.get("/v1/trail/checkpoints", headers=as_(reader()))).json()
    assert after["total"] == before + 3
    verified = await client.get("/v1/trail/verify", headers=as_(reader()))
    assert verified.json()["valid"] is True
    assert verified.json()["checkpoints_checked"] >= 2


async def test_the_verify_endpoint_checks_a_range(client: httpx.AsyncClient) -> None:
    stored = (await post_events(client, [event() for _ in range(4)])).json()
    head = stored["head_seq"]
    ranged = await client.get(
        "/v1/trail/verify", params={"from_seq": head - 1, "to_seq": head}, headers=as_(reader())
    )
    assert ranged.json()["valid"] is True
    assert ranged.json()["events_checked"] == 2
    bad = await client.get("/v1/trail/verify", params={"from_seq": 0}, headers=as_(reader()))
    assert bad.status_code == 422


async def test_the_latest_checkpoint_alone_is_readable_with_trail_checkpoint(
    client: httpx.AsyncClient,
) -> None:
    """Issue 16: the board's reader pins packs to the latest checkpoint (``trail:checkpoint``)
    and reads nothing else of the trail."""
    pinner = Caller(
        "board-reader",
        "council",
        scopes=frozenset({"actions:read", "kpis:read", "audit:read", "trail:checkpoint"}),
        client_id="board-reader",
        kind="client",
    )
    none_yet = await client.get("/v1/trail/checkpoints/latest", headers=as_(pinner))
    assert none_yet.status_code == 200, none_yet.text
    assert none_yet.json() == {"checkpoint": None}
    await post_events(client, [event(), event()])
    admin = caller("council", ("admin",))
    first = (await client.post("/v1/trail/checkpoints", headers=as_(admin))).json()
    await post_events(client, [event()])
    second = (await client.post("/v1/trail/checkpoints", headers=as_(admin))).json()
    assert second["seq"] > first["seq"]
    latest = await client.get("/v1/trail/checkpoints/latest", headers=as_(pinner))
    assert latest.json() == {"checkpoint": second}
    # a holder of trail:read reads it too; the pinner reads no event and no other checkpoint
    also = await client.get("/v1/trail/checkpoints/latest", headers=as_(reader()))
    assert also.json() == {"checkpoint": second}
    for path in ("/v1/trail", "/v1/trail/checkpoints", "/v1/trail/verify"):
        assert (await client.get(path, headers=as_(pinner))).status_code == 403, path
    viewer = caller("council", ("viewer",))
    assert (
        await client.get("/v1/trail/checkpoints/latest", headers=as_(viewer))
    ).status_code == 403
