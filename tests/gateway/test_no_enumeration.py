"""A9: no account enumeration — unknown, locked and wrong-password answers are alike in
content, counting and cost; a right password without its second factor is a failure."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.gateway.hashing import SecretHasher
from tests.gateway.conftest import Gateway, gateway_settings, make_gateway

PASSWORD = "correct horse battery staple 42"
WRONG = "not the password at all"
THRESHOLD = 5  # the documented default: a name locks after five failures


async def _user(gw: Gateway, username: str, roles: list[str]) -> dict[str, Any]:
    admin = await gw.bearer(("admin",))
    r = await gw.http.post(
        "/v1/users",
        json={"username": username, "agency": "council", "roles": roles, "password": PASSWORD},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _login(gw: Gateway, username: str, password: str, totp: str | None = None) -> Any:
    body = {"username": username, "password": password} | ({"totp": totp} if totp else {})
    return await gw.http.post("/v1/auth/login", json=body)


def _answer(r: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    """What a caller sees, less what differs on every request."""
    body = {k: v for k, v in r.json().items() if k != "request_id"}
    headers = {
        k: v
        for k, v in r.headers.items()
        if k not in ("x-request-id", "date", "content-length", "traceparent")
    }
    return r.status_code, body, headers


async def test_a9_an_unknown_name_locks_after_five_like_a_known_one(gw: Gateway) -> None:
    await _user(gw, "kim.known", ["viewer"])
    for attempt in range(THRESHOLD):
        known = await _login(gw, "kim.known", WRONG)
        unknown = await _login(gw, "uma.unknown", WRONG)
        assert known.status_code == 401, attempt
        assert _answer(known) == _answer(unknown), attempt
    # both names are locked now: even the right password is refused, with the same answer
    known = await _login(gw, "kim.known", PASSWORD)
    unknown = await _login(gw, "uma.unknown", PASSWORD)
    wrong = await _login(gw, "kim.other", WRONG)  # a fresh name, first failure
    assert known.status_code == 401
    assert _answer(known) == _answer(unknown) == _answer(wrong)
    assert "retry-after" not in known.headers
    locked = await gw.connection.scalar(
        text("SELECT count(*) FROM gateway.login_throttle WHERE locked_until > now()")
    )
    assert locked == 2
    # the counters never hold a name in the clear
    stored = str((await gw.connection.execute(text("SELECT * FROM gateway.login_throttle"))).all())
    assert "uma.unknown" not in stored
    assert "kim.known" not in stored


async def test_a9_a_right_password_without_the_code_fails_like_a_wrong_one(gw: Gateway) -> None:
    made = await _user(gw, "ann.admin", ["admin"])
    totp = pyotp.TOTP(made["totp_secret"])
    no_code = await _login(gw, "ann.admin", PASSWORD)
    wrong = await _login(gw, "ann.admin", WRONG)
    assert no_code.status_code == 401
    assert _answer(no_code) == _answer(wrong)
    # ... and counts: three more without the code make five, and the account locks
    for _ in range(THRESHOLD - 2):
        await _login(gw, "ann.admin", PASSWORD)
    locked = await _login(gw, "ann.admin", PASSWORD, totp.now())
    assert _answer(locked) == _answer(wrong)
    events = (
        await gw.connection.execute(
            text("SELECT event_type FROM gateway.outbox WHERE entity_id = 'ann.admin'")
        )
    ).scalars()
    assert list(events).count("user.locked") == 1


class CountingHasher:
    """Wraps the argon2 hasher and counts the verifications it performs."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.verifications = 0

    def verify(self, stored: str, secret: str) -> bool:
        self.verifications += 1
        return bool(self.real.verify(stored, secret))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_a9_every_path_costs_exactly_one_argon2_verification(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timing, without a clock: each answer runs the same single slow hash."""
    await _user(gw, "pat.plain", ["viewer"])
    await _user(gw, "lou.locked", ["viewer"])
    await _user(gw, "dee.disabled", ["viewer"])
    made = await _user(gw, "tom.totp", ["admin"])
    for _ in range(THRESHOLD):
        await _login(gw, "lou.locked", WRONG)
    admin = await gw.bearer(("admin",))
    assert (await gw.http.post("/v1/users/dee.disabled/disable", headers=admin)).status_code == 200
    hasher: SecretHasher = gw.app.state.hasher
    counter = CountingHasher(hasher.argon2)
    monkeypatch.setattr(hasher, "argon2", counter)
    paths = {
        "unknown": ("no.such.person", WRONG, None, 401),
        "wrong password": ("pat.plain", WRONG, None, 401),
        "locked, right password": ("lou.locked", PASSWORD, None, 401),
        "disabled, right password": ("dee.disabled", PASSWORD, None, 401),
        "right password, no code": ("tom.totp", PASSWORD, None, 401),
        "success": ("tom.totp", PASSWORD, pyotp.TOTP(made["totp_secret"]).now(), 200),
    }
    for path, (username, password, code, status) in paths.items():
        before = counter.verifications
        r = await _login(gw, username, password, code)
        assert r.status_code == status, path
        assert counter.verifications - before == 1, path


async def test_a9_password_checks_over_the_cap_get_503_with_retry_after(
    gateway_connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = await make_gateway(gateway_connection, gateway_settings(password_checks_max=1))
    async with gw.http:
        await _user(gw, "cap.one", ["viewer"])
        release = threading.Event()
        hasher: SecretHasher = gw.app.state.hasher
        real = hasher.verify

        def held(stored: str | None, secret: str) -> bool:
            release.wait(30)
            return real(stored, secret)

        monkeypatch.setattr(hasher, "verify", held)
        first = asyncio.create_task(_login(gw, "cap.one", PASSWORD))
        try:
            for _ in range(3000):  # until the first check is in its worker thread
                if hasher.checks_in_flight:
                    break
                await asyncio.sleep(0.01)
            assert hasher.checks_in_flight == 1
            over = await _login(gw, "someone.else", WRONG)
            assert over.status_code == 503
            assert over.headers["content-type"].startswith("application/problem+json")
            assert int(over.headers["retry-after"]) >= 1
            form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
            over = await gw.http.post("/oauth/token", data=form)  # client secrets share it
            assert over.status_code == 503
            # the token endpoint answers in RFC 6749's shape, with the request id
            assert over.headers["content-type"].startswith("application/json")
            assert over.json()["error"] == "temporarily_unavailable"
            assert over.json()["request_id"] == over.headers["x-request-id"]
        finally:
            release.set()
        assert (await first).status_code == 200
        # the refused attempt was not counted against the name
        assert (await _login(gw, "someone.else", WRONG)).status_code == 401
        counted = await gw.connection.scalar(
            text("SELECT max(failed_logins) FROM gateway.login_throttle")
        )
        assert counted == 1
