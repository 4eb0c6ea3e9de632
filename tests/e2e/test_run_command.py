"""The run command as a newcomer meets it: real processes, embedded PostgreSQL, Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from shared.devtools.embedded import free_port, port_in_use
from shared.devtools.stack import ROOT

pytestmark = pytest.mark.e2e


def _env(data: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLATFORM_", "TEST_DATABASE"))}
    env["PLATFORM_DATA_DIR"] = str(data)
    for service, port in ports.items():
        env[f"PLATFORM_{service.upper()}_PORT"] = str(port)
    return env


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "shared.devtools.run"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_running(proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "The platform is running" in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            pytest.fail("run command exited early:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.3)
    pytest.fail("platform not ready in time:\n" + log.read_text(errors="replace")[-3000:])


def _gone(data: Path, within_s: float = 30) -> bool:
    """True once no process names the data folder (exiting children get a moment)."""
    deadline = time.monotonic() + within_s
    while _descendants_of_data(data):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _descendants_of_data(data: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if str(data) in cmdline:
            found.append(proc)
    return found


@pytest.fixture
def ports() -> dict[str, int]:
    return {s: free_port() for s in ("gateway", "actions", "kpis", "audit", "board")}


def test_run_starts_everything_refuses_a_second_run_and_stops_cleanly(
    tmp_path: Path, ports: dict[str, int]
) -> None:
    data = tmp_path / "data"
    env = _env(data, ports)
    log = tmp_path / "run.log"
    proc = _start(env, log)
    try:
        _wait_running(proc, log)
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        health = httpx.get(gateway + "/healthz", timeout=5).json()
        assert health["status"] == "ok"
        assert {name: s["status"] for name, s in health["services"].items()} == {
            "actions": "up",
            "kpis": "up",
            "audit": "up",
            "board": "up",
        }
        # a second run while one is going says so instead of failing on ports
        second = subprocess.run(
            [sys.executable, "-m", "shared.devtools.run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "already running" in second.stdout
        assert httpx.get(gateway + "/healthz", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 0, log.read_text()[-2000:]
    assert not any(port_in_use(p) for p in ports.values())
    assert _gone(data), _descendants_of_data(data)

    # the next run reuses the same data folder and database
    pg_version = (data / "pg" / "PG_VERSION").stat().st_mtime
    log2 = tmp_path / "run2.log"
    proc = _start(env, log2)
    try:
        _wait_running(proc, log2)
        assert (data / "pg" / "PG_VERSION").stat().st_mtime == pg_version
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0
    assert _gone(data), _descendants_of_data(data)
