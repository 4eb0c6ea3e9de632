"""Fault drill (R4): PostgreSQL stops under the running services, then comes back.

While it is down every service answers 503 problems quickly (no hung requests) and reports
not ready; when it returns they recover by themselves, without a restart.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from shared.devtools.embedded import free_port
from shared.devtools.stack import Stack, StackConfig

pytestmark = pytest.mark.e2e
SERVICES = ("gateway", "actions", "kpis", "audit", "board")


def _statuses(stack: Stack) -> dict[str, int]:
    out = {}
    for service in SERVICES:
        response = httpx.get(stack.service_url(service) + "/readyz", timeout=10)
        out[service] = response.status_code
        if response.status_code != 200:
            assert response.headers["content-type"] == "application/problem+json"
    return out


def test_database_outage_gives_503_and_recovers_without_restart(tmp_path: Path) -> None:
    stack = Stack(
        StackConfig(
            data_dir=tmp_path,
            ports={s: free_port() for s in SERVICES},
            throwaway_pg=True,
            log_dir=tmp_path / "logs",
        )
    )
    try:
        stack.start_database()
        stack.bootstrap()
        stack.start_services()
        stack.wait_ready()
        assert set(_statuses(stack).values()) == {200}

        assert stack.pg is not None
        stack.pg.stop()
        # each probe answers (a hang would raise httpx's ReadTimeout) with a 503 problem
        assert set(_statuses(stack).values()) == {503}

        stack.pg.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if set(_statuses(stack).values()) == {200}:
                break
            time.sleep(0.5)
        assert set(_statuses(stack).values()) == {200}
        assert all(p.poll() is None for p in stack.processes.values())
    finally:
        stack.stop()
