"""`make run` passes configuration through (issue 19, item 6): every service's prefixed
variables reach its process, so a federated identity provider (``GATEWAY_TRUSTED_ISSUERS``)
can be switched on in the one-command run; the ones the run sets itself still win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.bootstrap import SERVICES
from shared.devtools.stack import Stack, StackConfig

ISSUERS = json.dumps(
    [
        {
            "issuer": "https://login.example.test/council",
            "jwks_url": "https://login.example.test/council/jwks",
            "audience": "improvement-platform",
            "agency": "council",
        }
    ]
)


@pytest.fixture
def stack(tmp_path: Path) -> Stack:
    made = Stack(StackConfig(data_dir=tmp_path))
    made.admin_url = "postgresql://postgres:pw@127.0.0.1:5432/platform"
    return made


def test_gateway_variables_reach_the_gateway(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_TRUSTED_ISSUERS", ISSUERS)
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://front.example.test"]')
    env = stack.child_env("gateway")
    assert env["GATEWAY_TRUSTED_ISSUERS"] == ISSUERS
    assert env["GATEWAY_CORS_ORIGINS"] == '["https://front.example.test"]'


def test_every_prefix_reaches_its_service(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    for service in SERVICES:
        monkeypatch.setenv(f"{service.upper()}_LOG_LEVEL", "DEBUG")
    for service in SERVICES:
        assert stack.child_env(service)[f"{service.upper()}_LOG_LEVEL"] == "DEBUG"


def test_what_the_run_sets_wins_and_is_listed(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "1")
    monkeypatch.setenv("KPIS_DATABASE_URL", "postgresql+asyncpg://someone:else@elsewhere/db")
    gateway, kpis = stack.child_env("gateway"), stack.child_env("kpis")
    assert gateway["GATEWAY_PORT"] == str(stack.config.ports["gateway"])
    assert "elsewhere" not in kpis["KPIS_DATABASE_URL"]
    assert "GATEWAY_PORT" in stack.set_by_run("gateway")
    assert "GATEWAY_TRUSTED_ISSUERS" not in stack.set_by_run("gateway")
