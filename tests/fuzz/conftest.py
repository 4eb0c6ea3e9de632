"""One running platform for the fuzz tests: the real processes, as ``make run`` starts them.

A session fixture starts the four services on free ports with a temporary data folder and a
throwaway embedded PostgreSQL of its own (never the suite's server: bootstrapping sets the
cluster-wide service roles' passwords, which the suite's own connections rely on), then logs
in every demo identity (the clients through ``/oauth/token``, the people through
``/v1/auth/login``, the admin with a TOTP code). The gateway's rate limits are raised for this
stack only: the fuzzer sends far more requests a minute than a person or partner system
would, and a 429 hides the route.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from shared.devtools.embedded import free_port
from shared.devtools.stack import Stack, StackConfig

SERVICES = ("gateway", "actions", "kpis", "audit", "board")
#: The fuzz run's limits: settings of this stack only (no code path production could take),
#: far above what the run sends a minute; test_fuzz asserts the share of 429s stays small.
UNLIMITED = {
    f"GATEWAY_RATE_LIMIT_{kind}": "1000000/minute"
    for kind in ("DEFAULT", "WRITE", "AUTH", "IMPORT")
}
#: Fixed seed and small budgets: the same cases on every run, a few minutes at most in CI.
FUZZ_SEED = 20260427
MAX_EXAMPLES = 6


@dataclass
class Platform:
    gateway: str
    demo: dict[str, Any]
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, who: str) -> str:
        """An access token for a demo client id or demo username (cached for the session)."""
        if who not in self.tokens:
            self.tokens[who] = self._login(who)
        return self.tokens[who]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(who)}"}

    def _login(self, who: str) -> str:
        for client in self.demo["clients"]:
            if client["client_id"] == who:
                response = httpx.post(
                    self.gateway + "/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": who,
                        "client_secret": client["client_secret"],
                        "scope": " ".join(client["scopes"]),
                    },
                    timeout=30,
                )
                response.raise_for_status()
                return str(response.json()["access_token"])
        user = next(u for u in self.demo["users"] if u["username"] == who)
        body = {"username": who, "password": user["password"]}
        if user.get("totp_secret"):
            body["totp"] = pyotp.TOTP(user["totp_secret"]).now()
        response = httpx.post(self.gateway + "/v1/auth/login", json=body, timeout=30)
        response.raise_for_status()
        return str(response.json()["access_token"])


@pytest.fixture(scope="session")
def platform() -> Iterator[Platform]:
    # outside pytest's base folder, whose mode each new session resets to 0700 (the server's
    # own user must reach its data folder)
    data = Path(tempfile.mkdtemp(prefix="fuzz-platform-"))
    stack = Stack(
        StackConfig(
            data_dir=data,
            ports={s: free_port() for s in SERVICES},
            throwaway_pg=True,
            profile="local",
            extra_env=UNLIMITED,
            log_dir=data / "logs",
        )
    )
    try:
        stack.start_database()
        stack.bootstrap()
        stack.run_seeds()
        stack.start_services()
        stack.wait_ready()
        demo = json.loads((Path(data) / "demo-credentials.json").read_text())
        yield Platform(gateway=stack.service_url("gateway"), demo=demo)
    finally:
        stack.stop()
        shutil.rmtree(data, ignore_errors=True)


def fuzz_config(max_examples: int = MAX_EXAMPLES) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": FUZZ_SEED,
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "generation": {
                "max-examples": max_examples,
                "deterministic": True,
                "no-shrink": False,
            },
            "phases": {
                "coverage": {"enabled": False},
                "stateful": {"enabled": False},
                "fuzzing": {"extra-data-sources": {"responses": False}},
            },
            "request-timeout": 30,
        }
    )


@pytest.fixture(scope="session")
def merged_openapi(platform: Platform) -> dict[str, Any]:
    document = httpx.get(platform.gateway + "/openapi.json", timeout=30).json()
    assert "x-unavailable-services" not in document
    return dict(document)


@pytest.fixture(scope="session")
def api_schema(platform: Platform, merged_openapi: dict[str, Any]) -> Any:
    schema = schemathesis.openapi.from_dict(merged_openapi, config=fuzz_config())
    schema.config.update(base_url=platform.gateway)
    return schema
