"""The seed: relay clients and demo credentials, made once, idempotent, and usable."""

from __future__ import annotations

from pathlib import Path

import pyotp
from sqlalchemy import text

from shared.devtools.stack import load_or_create_relay_secrets
from tests.gateway.conftest import Gateway


async def _run(gw: Gateway, data_dir: Path) -> dict:
    return await gw.seed(data_dir)


async def test_seed_makes_relays_and_demo_credentials_once(gw: Gateway, tmp_path: Path) -> None:
    relays = load_or_create_relay_secrets(tmp_path / "relay-clients.json")
    first = await _run(gw, tmp_path)
    second = await _run(gw, tmp_path)
    assert first == second
    assert {c["agency"] for c in first["clients"]} == {"council", "ccg", "police", "probation"}
    assert {u["roles"][0] for u in first["users"]} == {
        "viewer",
        "contributor",
        "approver",
        "auditor",
        "plan_manager",
        "admin",
    }
    assert [u for u in first["users"] if u.get("totp_secret")] == [
        u for u in first["users"] if u["roles"] == ["admin"]
    ]
    rows = (
        await gw.connection.execute(
            text(
                "SELECT client_id, agency, scopes FROM gateway.client"
                " WHERE client_id LIKE '%-relay'"
            )
        )
    ).all()
    assert {r.client_id for r in rows} == set(relays)
    assert all(r.agency == "council" and r.scopes == ["trail:append"] for r in rows)
    # the relay's credentials work and give only trail:append
    token = await gw.token("kpis-relay", relays["kpis-relay"], "trail:append")
    r = await gw.http.post(
        "/v1/trail/events", json={"events": []}, headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 200
    r = await gw.http.get("/v1/trail", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    # the demo credentials work
    client = first["clients"][1]
    await gw.token(client["client_id"], client["client_secret"])
    admin = next(u for u in first["users"] if u["roles"] == ["admin"])
    r = await gw.http.post(
        "/v1/auth/login",
        json={
            "username": admin["username"],
            "password": admin["password"],
            "totp": pyotp.TOTP(admin["totp_secret"]).now(),
        },
    )
    assert r.status_code == 200
