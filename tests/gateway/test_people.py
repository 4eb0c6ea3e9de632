"""People: argon2id accounts, password policy, lockout, TOTP for admins, rotating refresh."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import text

from tests.gateway.conftest import Gateway

PASSWORD = "correct horse battery staple 42"


async def _user(gw: Gateway, username: str, roles: list[str], agency: str = "council") -> dict:
    admin = await gw.bearer(("admin",))
    r = await gw.http.post(
        "/v1/users",
        json={"username": username, "agency": agency, "roles": roles, "password": PASSWORD},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _login(gw: Gateway, username: str, password: str = PASSWORD, totp: str | None = None):  # type: ignore[no-untyped-def]
    body = {"username": username, "password": password}
    if totp:
        body["totp"] = totp
    return await gw.http.post("/v1/auth/login", json=body)


async def test_login_gives_a_short_access_token_and_a_refresh_token(gw: Gateway) -> None:
    await _user(gw, "viv.viewer", ["viewer"], agency="ccg")
    r = await _login(gw, "viv.viewer")
    assert r.status_code == 200
    body = r.json()
    assert body["expires_in"] <= 600
    assert body["refresh_token"]
    me = await gw.http.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() | {} == me.json()
    assert me.json()["agency"] == "ccg"
    assert me.json()["roles"] == ["viewer"]
    stored = await gw.connection.scalar(
        text("SELECT password_hash FROM gateway.app_user WHERE username = 'viv.viewer'")
    )
    assert stored.startswith("$argon2id$")
    # the person reaches a service through the gateway
    r = await gw.http.get(
        "/v1/actions", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    "password", ["short", "password1234", "Liverpool1", "aaaaaaaaaaaaaaaa", "pat.smith-is-great"]
)
async def test_weak_passwords_are_refused_without_echo(gw: Gateway, password: str) -> None:
    admin = await gw.bearer(("admin",))
    r = await gw.http.post(
        "/v1/users",
        json={
            "username": "pat.smith",
            "agency": "council",
            "roles": ["viewer"],
            "password": password,
        },
        headers=admin,
    )
    assert r.status_code == 422
    assert password not in r.text


async def test_wrong_password_then_lockout_with_back_off(gw: Gateway) -> None:
    await _user(gw, "lee.locked", ["contributor"])
    for _ in range(4):
        r = await _login(gw, "lee.locked", "wrong password entirely")
        assert r.status_code == 401
        assert r.json()["type"].endswith("login-failed")
    r = await _login(gw, "lee.locked", "wrong password entirely")  # fifth: locks
    assert r.status_code == 401
    r = await _login(gw, "lee.locked")  # even the right password is refused now
    assert r.status_code == 401
    # ... with the answer of a wrong password (A9): a lock tells no one the name exists
    assert r.json()["type"].endswith("login-failed")
    assert "retry-after" not in r.headers
    assert 1 <= await _locked_for_s(gw, "lee.locked") <= 30
    events = (
        (
            await gw.connection.execute(
                text("SELECT event_type FROM gateway.outbox WHERE entity_id = 'lee.locked'")
            )
        )
        .scalars()
        .all()
    )
    assert events.count("login.failed") == 5
    assert "user.locked" in events
    # the lock ends; a second lockout lasts twice as long
    await gw.connection.execute(
        text("UPDATE gateway.login_throttle SET locked_until = now() WHERE locked_until > now()")
    )
    for _ in range(5):
        await _login(gw, "lee.locked", "wrong password entirely")
    r = await _login(gw, "lee.locked")
    assert r.status_code == 401
    assert 31 <= await _locked_for_s(gw, "lee.locked") <= 60


async def _locked_for_s(gw: Gateway, username: str) -> float:
    """Seconds until the account's lockout ends, as the administrators' list shows it."""
    listed = (await gw.http.get("/v1/users", headers=await gw.bearer(("admin",)))).json()
    until = next(u["locked_until"] for u in listed["items"] if u["username"] == username)
    assert until is not None
    return (datetime.fromisoformat(until) - datetime.now(UTC)).total_seconds()


async def test_unknown_user_gets_the_same_answer(gw: Gateway) -> None:
    r = await _login(gw, "nobody.here", "whatever password 1")
    assert r.status_code == 401
    assert r.json()["type"].endswith("login-failed")


async def test_admin_accounts_require_totp(gw: Gateway) -> None:
    made = await _user(gw, "ada.admin", ["admin"])
    secret = made["totp_secret"]
    assert secret
    assert made["totp_uri"].startswith("otpauth://")
    r = await _login(gw, "ada.admin")
    assert r.status_code == 401
    assert r.json()["type"].endswith("login-failed")
    r = await _login(
        gw, "ada.admin", totp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    assert r.status_code == 401
    code = pyotp.TOTP(secret).now()
    r = await _login(gw, "ada.admin", totp=code)
    assert r.status_code == 200
    # the same code cannot be used twice
    r = await _login(gw, "ada.admin", totp=code)
    assert r.status_code == 401
    listed = (await gw.http.get("/v1/users", headers=await gw.bearer(("admin",)))).text
    assert secret not in listed


async def test_refresh_rotates_and_reuse_revokes_the_family(gw: Gateway) -> None:
    await _user(gw, "ric.refresh", ["approver"])
    first = (await _login(gw, "ric.refresh")).json()["refresh_token"]
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200
    second = r.json()["refresh_token"]
    assert second != first
    # the old token comes back (stolen copy): refused, and the whole family ends
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 401
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": second})
    assert r.status_code == 401
    events = (
        (await gw.connection.execute(text("SELECT event_type FROM gateway.outbox"))).scalars().all()
    )
    assert "refresh.reused" in events


async def test_logout_ends_the_refresh_token(gw: Gateway) -> None:
    await _user(gw, "lou.logout", ["viewer"])
    refresh = (await _login(gw, "lou.logout")).json()["refresh_token"]
    r = await gw.http.post("/v1/auth/logout", json={"refresh_token": refresh})
    assert r.status_code == 204
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": refresh})
    assert r.status_code == 401


async def test_disabling_a_user_stops_tokens_at_once(gw: Gateway) -> None:
    await _user(gw, "dan.disabled", ["viewer"])
    body = (await _login(gw, "dan.disabled")).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await gw.http.get("/v1/me", headers=headers)).status_code == 200
    admin = await gw.bearer(("admin",))
    r = await gw.http.post("/v1/users/dan.disabled/disable", headers=admin)
    assert r.status_code == 200
    assert (await gw.http.get("/v1/me", headers=headers)).status_code == 401
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert r.status_code == 401
    assert (await _login(gw, "dan.disabled")).status_code == 401


async def test_login_never_logs_the_password(
    gw: Gateway, capsys: pytest.CaptureFixture[str]
) -> None:
    await _user(gw, "sam.sentinel", ["viewer"])
    sentinel = "sentinel-password-" + str(time.time_ns())
    await _login(gw, "sam.sentinel", sentinel)
    ok = (await _login(gw, "sam.sentinel")).json()
    out = capsys.readouterr()
    for secret in (sentinel, PASSWORD, ok["access_token"], ok["refresh_token"]):
        assert secret not in out.out + out.err


async def test_a_password_typed_as_username_is_not_recorded(gw: Gateway) -> None:
    typed = "my-secret-password-as-username"
    r = await _login(gw, typed, "whatever password 1")
    assert r.status_code == 401
    rows = (await gw.connection.execute(text("SELECT * FROM gateway.outbox"))).all()
    assert typed not in str(rows)


async def test_a_person_changes_their_password_and_other_sessions_end(gw: Gateway) -> None:
    await _user(gw, "cat.change", ["contributor"])
    first = (await _login(gw, "cat.change")).json()
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    new = "a much longer passphrase for cat"
    r = await gw.http.post(
        "/v1/auth/password",
        json={"current_password": "wrong one entirely", "new_password": new},
        headers=headers,
    )
    assert r.status_code == 401
    r = await gw.http.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=headers,
    )
    assert r.status_code == 422
    assert "password1234" not in r.text
    r = await gw.http.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=headers,
    )
    assert r.status_code == 204
    r = await gw.http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401
    assert (await _login(gw, "cat.change")).status_code == 401
    assert (await _login(gw, "cat.change", new)).status_code == 200
    # a machine client has no password to change
    client = await gw.bearer(("actions:read",))
    r = await gw.http.post(
        "/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": new},
        headers=client,
    )
    assert r.status_code == 403


async def test_password_and_secret_checks_run_off_the_event_loop(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the load profile: argon2 on the event loop let a burst of logins stall every
    other request of the gateway (5xx and seconds of latency on reads)."""
    import threading

    threads: list[int] = []
    hasher = gw.app.state.hasher
    real = hasher.verify

    def recording(stored: str | None, secret: str) -> bool:
        threads.append(threading.get_ident())
        return real(stored, secret)

    await _user(gw, "olive.offloop", ["viewer"])
    monkeypatch.setattr(hasher, "verify", recording)
    assert (await _login(gw, "olive.offloop")).status_code == 200
    client_id, secret = await gw.new_client()
    await gw.token(client_id, secret)
    assert len(threads) == 2
    assert threading.get_ident() not in threads
