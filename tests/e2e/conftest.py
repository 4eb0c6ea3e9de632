"""One real platform for every journey and drill of this folder.

``platform`` starts the stack once per session exactly as ``make run`` does (throwaway
embedded PostgreSQL, bootstrap, seeds, five uvicorn processes on free ports, demo
credentials) and stops it at the end. ``Api`` calls it through the gateway only, as a
partner would: client credentials (``POST /oauth/token``) or a person's login (with TOTP
where the account has one).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psutil
import pyotp
import pytest

from shared.devtools.embedded import free_port
from shared.devtools.stack import Stack, StackConfig

SERVICES = ("gateway", "actions", "kpis", "audit", "board")
T = TypeVar("T")

# Drills stop services on purpose: relays and breakers must not sleep for a minute after.
FAST_RECOVERY = {
    "ACTIONS_RELAY_MAX_BACKOFF_S": "2",
    "KPIS_RELAY_MAX_BACKOFF_S": "2",
    "AUDIT_RELAY_MAX_BACKOFF_S": "2",
    "GATEWAY_RELAY_MAX_BACKOFF_S": "2",
    "GATEWAY_BREAKER_RESET_S": "2",
}
# Rate limits have their own tests (tests/gateway); here they must not throttle polling.
GENEROUS_LIMITS = {
    "GATEWAY_RATE_LIMIT_IMPORT": "600/minute",
    "GATEWAY_RATE_LIMIT_AUTH": "600/minute",
}


def wait_for(
    check: Callable[[], T | None], *, timeout_s: float = 60, every_s: float = 0.5, what: str = ""
) -> T:
    """Poll ``check`` until it returns something truthy; bounded in time."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what or check}: {last!r}")


@dataclass
class Api:
    """The gateway as partners meet it."""

    base: str
    demo: dict[str, Any]
    http: httpx.Client = field(init=False)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict, init=False)
    _people: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)
    run: str = field(default_factory=lambda: secrets.token_hex(3), init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base, timeout=30)

    def reconnect(self) -> None:
        """A fresh connection pool (after the gateway restarted)."""
        self.http.close()
        self.http = httpx.Client(base_url=self.base, timeout=30)

    # -- identities -------------------------------------------------------------------------
    def client_token(self, client_id: str) -> str:
        key = "client:" + client_id
        if key in self._tokens and self._tokens[key][1] > time.monotonic():
            return self._tokens[key][0]
        client = next(c for c in self.demo["clients"] if c["client_id"] == client_id)
        r = self.http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client["client_secret"],
                "scope": " ".join(client["scopes"]),
            },
        )
        assert r.status_code == 200, r.text
        body = r.json()
        self._tokens[key] = (body["access_token"], time.monotonic() + body["expires_in"] - 60)
        return str(body["access_token"])

    def _account(self, username: str) -> dict[str, Any]:
        if username in self._people:
            return self._people[username]
        return next(u for u in self.demo["users"] if u["username"] == username)

    def user_token(self, username: str) -> str:
        key = "user:" + username
        if key in self._tokens and self._tokens[key][1] > time.monotonic():
            return self._tokens[key][0]
        account = self._account(username)
        body: dict[str, Any] = {"username": username, "password": account["password"]}
        if account.get("totp_secret"):
            body["totp"] = pyotp.TOTP(account["totp_secret"]).now()
        r = self.http.post("/v1/auth/login", json=body)
        assert r.status_code == 200, r.text
        pair = r.json()
        self._tokens[key] = (pair["access_token"], time.monotonic() + pair["expires_in"] - 60)
        return str(pair["access_token"])

    def person(self, name: str, agency: str, roles: list[str]) -> str:
        """An account made by the council admin (once a session); returns its username."""
        username = f"{name}.{self.run}"
        if username in self._people:
            return username
        password = "e2e-" + secrets.token_urlsafe(18)
        r = self.call(
            "demo.admin",
            "POST",
            "/v1/users",
            json={"username": username, "agency": agency, "roles": roles, "password": password},
        )
        assert r.status_code == 201, r.text
        self._people[username] = {
            "username": username,
            "password": password,
            "totp_secret": r.json().get("totp_secret"),
        }
        return username

    def token(self, who: str) -> str:
        return self.client_token(who) if who.startswith("demo-") else self.user_token(who)

    # -- calls ------------------------------------------------------------------------------
    def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if who is not None:
            headers["Authorization"] = "Bearer " + self.token(who)
        return self.http.request(method, path, headers=headers, **kwargs)

    def ok(self, who: str, method: str, path: str, status: int = 200, **kw: Any) -> Any:
        r = self.call(who, method, path, **kw)
        assert r.status_code == status, f"{method} {path} → {r.status_code}: {r.text[:2000]}"
        return r.json() if r.content else None

    def trail(self, **params: Any) -> list[dict[str, Any]]:
        """Every trail event matching ``params`` (all pages), read by the council admin."""
        items: list[dict[str, Any]] = []
        offset = 0
        for _ in range(200):
            page = self.ok(
                "demo.admin", "GET", "/v1/trail", params={**params, "limit": 200, "offset": offset}
            )
            items += page["items"]
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                break
        return items


@dataclass
class Platform:
    stack: Stack
    data_dir: Path
    owned: bool = True

    @property
    def gateway(self) -> str:
        return self.stack.service_url("gateway")

    def api(self) -> Api:
        demo = json.loads((self.data_dir / "demo-credentials.json").read_text())
        return Api(self.gateway, demo)

    def log_tail(self, service: str, chars: int = 4000) -> str:
        path = self.data_dir / "logs" / f"{service}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    attach = os.environ.get("E2E_ATTACH_DIR")
    if attach:  # development only: a stack someone else started (drills skip themselves)
        folder = Path(attach)
        ports = json.loads((folder.parent / "ports.json").read_text())
        yield Platform(Stack(StackConfig(data_dir=folder, ports=ports)), folder, owned=False)
        return
    data_dir = _outside_pytest_tmp("e2e-platform-")
    stack = Stack(
        StackConfig(
            data_dir=data_dir,
            ports={s: free_port() for s in SERVICES},
            throwaway_pg=True,
            log_dir=data_dir / "logs",
            extra_env=FAST_RECOVERY | GENEROUS_LIMITS,
        )
    )
    try:
        stack.start_database()
        stack.bootstrap()
        stack.run_seeds()
        stack.start_services()
        stack.wait_ready()
        yield Platform(stack, data_dir)
    finally:
        try:
            stack.stop()
        finally:
            _make_sure_postgres_stopped(data_dir / "pg")
            shutil.rmtree(data_dir, ignore_errors=True)


def _outside_pytest_tmp(prefix: str) -> Path:
    """A folder the embedded PostgreSQL's own user can always reach.

    Every new pytest session (other engineers run theirs on this machine) resets
    ``/tmp/pytest-of-<user>`` to mode 0700; PostgreSQL's user can then no longer reach a
    data folder under it, ``pg_ctl status`` fails, the stop is skipped and the server is
    left running. So the databases of these tests live beside it instead."""
    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """``tmp_path`` for this folder's tests, outside pytest's 0700 folder (see above)."""
    folder = _outside_pytest_tmp("e2e-")
    try:
        yield folder
    finally:
        _make_sure_postgres_stopped(folder / "pg")
        _make_sure_postgres_stopped(folder / "data" / "pg")
        shutil.rmtree(folder, ignore_errors=True)


def _make_sure_postgres_stopped(pg_dir: Path) -> None:
    """Once seen under heavy load: the services stopped, PostgreSQL not. Stop that one
    server (by the pid in its own data folder, never by name) and wait for it."""
    pid_file = pg_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().split()[0])
    if not psutil.pid_exists(pid):
        return
    server = psutil.Process(pid)
    server.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown
    server.wait(timeout=60)


@pytest.fixture(scope="session")
def api(platform: Platform) -> Iterator[Api]:
    client = platform.api()
    try:
        yield client
    finally:
        client.http.close()
