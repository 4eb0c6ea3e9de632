"""AU5: only the services' own relay identities append to the trail; the API cannot make,
rotate or change them (an administrator could otherwise write the trail as any service)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from shared.devtools.stack import load_or_create_reader_secrets, load_or_create_relay_secrets
from tests.gateway.conftest import Gateway


async def _seeded(gw: Gateway, data_dir: Path) -> dict[str, str]:
    relays = load_or_create_relay_secrets(data_dir / "relay-clients.json")
    await gw.seed(data_dir)
    return relays


async def _relay_appends(gw: Gateway, client_id: str, secret: str) -> int:
    token = await gw.token(client_id, secret, "trail:append")
    r = await gw.http.post(
        "/v1/trail/events", json={"events": []}, headers={"Authorization": f"Bearer {token}"}
    )
    return r.status_code


async def _client_ids(gw: Gateway) -> set[str]:
    rows = await gw.connection.execute(text("SELECT client_id FROM gateway.client"))
    return set(rows.scalars())


@pytest.mark.parametrize(
    "body",
    [
        {"scopes": ["trail:append"]},
        {"scopes": ["actions:read", "trail:append"]},
        {"scopes": ["trail:append"], "client_id": "siem-feed"},
        {"scopes": ["actions:read"], "client_id": "actions-relay"},
        {"scopes": ["actions:read"], "client_id": "newservice-relay"},
        {"scopes": ["actions:read"], "client_id": "board-reader"},
    ],
    ids=[
        "append-only",
        "append-among-others",
        "append-named",
        "relay-name",
        "new-relay-name",
        "reader-name",
    ],
)
async def test_au5_an_admin_cannot_create_a_client_that_appends_to_the_trail(
    gw: Gateway, body: dict
) -> None:
    admin = await gw.bearer(("admin",))
    before = await _client_ids(gw)
    r = await gw.http.post(
        "/v1/clients", json={"name": "mine", "agency": "council"} | body, headers=admin
    )
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert await _client_ids(gw) == before


async def test_au5_relay_identities_cannot_be_rotated_disabled_or_changed(
    gw: Gateway, tmp_path: Path
) -> None:
    relays = await _seeded(gw, tmp_path)
    admin = await gw.bearer(("admin",))
    before = (
        await gw.connection.execute(
            text("SELECT client_id, secret_hash, scopes, disabled_at FROM gateway.client")
        )
    ).all()
    for name in relays:
        r = await gw.http.post(f"/v1/clients/{name}/rotate-secret", headers=admin)
        assert r.status_code == 403, r.text
        assert "client_secret" not in r.json()
        r = await gw.http.post(f"/v1/clients/{name}/disable", headers=admin)
        assert r.status_code == 403, r.text
    after = (
        await gw.connection.execute(
            text("SELECT client_id, secret_hash, scopes, disabled_at FROM gateway.client")
        )
    ).all()
    assert sorted(after) == sorted(before)
    # the real relays still work, with the secrets the bootstrap gave them
    for name, secret in relays.items():
        assert await _relay_appends(gw, name, secret) == 200


async def test_au5_the_client_list_marks_relays_as_not_for_change(
    gw: Gateway, tmp_path: Path
) -> None:
    relays = await _seeded(gw, tmp_path)
    admin = await gw.bearer(("admin",))
    listed = (await gw.http.get("/v1/clients", headers=admin, params={"limit": 200})).json()
    assert listed["total"] == len(listed["items"])
    marked = {c["client_id"] for c in listed["items"] if c["service_identity"]}
    readers = load_or_create_reader_secrets(tmp_path / "reader-clients.json")
    assert marked == set(relays) | set(readers)
    one = (await gw.http.get("/v1/clients/kpis-relay", headers=admin)).json()
    assert one["service_identity"] is True
    # a partner system stays manageable
    demo = next(c for c in listed["items"] if c["client_id"] == "demo-police")
    assert demo["service_identity"] is False
    r = await gw.http.post("/v1/clients/demo-police/rotate-secret", headers=admin)
    assert r.status_code == 200


async def test_au5_the_bootstrap_puts_back_a_relay_changed_before_the_rule(
    gw: Gateway, tmp_path: Path
) -> None:
    relays = await _seeded(gw, tmp_path)
    await gw.connection.execute(
        text(
            'UPDATE gateway.client SET scopes = \'["trail:append", "admin"]\','
            " agency = 'police', disabled_at = now() WHERE client_id = 'audit-relay'"
        )
    )
    await _seeded(gw, tmp_path)
    row = (
        await gw.connection.execute(
            text(
                "SELECT agency, scopes, disabled_at FROM gateway.client"
                " WHERE client_id = 'audit-relay'"
            )
        )
    ).one()
    assert (row.agency, row.scopes, row.disabled_at) == ("council", ["trail:append"], None)
    assert await _relay_appends(gw, "audit-relay", relays["audit-relay"]) == 200


async def test_the_board_reader_reads_the_other_services_and_nothing_else(
    gw: Gateway, tmp_path: Path
) -> None:
    await _seeded(gw, tmp_path)
    readers = load_or_create_reader_secrets(tmp_path / "reader-clients.json")
    assert set(readers) == {"board-reader"}
    row = (
        await gw.connection.execute(
            text("SELECT agency, scopes FROM gateway.client WHERE client_id = 'board-reader'")
        )
    ).one()
    assert row.agency == "council"
    # issue 16: trail:checkpoint, the latest signed checkpoint its packs pin, not the events
    assert sorted(row.scopes) == ["actions:read", "audit:read", "kpis:read", "trail:checkpoint"]
    # its secret works for its read scopes; it may not read or append to the trail, or write
    await gw.token(
        "board-reader", readers["board-reader"], "actions:read kpis:read trail:checkpoint"
    )
    for scope in ("trail:append", "trail:read"):
        r = await gw.http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "board-reader",
                "client_secret": readers["board-reader"],
                "scope": scope,
            },
        )
        assert r.status_code in (400, 403), r.text
    admin = await gw.bearer(("admin",))
    for verb in ("rotate-secret", "disable"):
        r = await gw.http.post(f"/v1/clients/board-reader/{verb}", headers=admin)
        assert r.status_code == 403, r.text
