"""Logs are JSON outside local, carry the request id, and never hold secrets or bodies (E4)."""

from __future__ import annotations

import json

import pytest

from tests.shared.test_problems import SENTINEL, make_app
from tests.support.apps import client_for


async def test_logs_carry_request_id_and_no_body_or_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app()
    async with client_for(app) as client:
        await client.post(
            "/things?api_key=" + SENTINEL,
            json={"name": SENTINEL, "count": 1},
            headers={
                "Authorization": "Bearer " + SENTINEL,
                "X-Request-ID": "6f1c1a0e-98e0-4c47-a3a1-3f4b7d1b8a11",
            },
        )
        await client.get("/boom")
    out = capsys.readouterr().out
    assert SENTINEL not in out
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "http.request"]
    assert access, out
    assert access[0]["request_id"] == "6f1c1a0e-98e0-4c47-a3a1-3f4b7d1b8a11"
    assert access[0]["route"] == "/things"
    assert any(line.get("event") == "unhandled.exception" for line in lines)


def test_sensitive_keys_are_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    from shared.logs import configure_logging, get_logger

    configure_logging("INFO", json=True, service="probe")
    get_logger("t").info("login.failed", password=SENTINEL, token=SENTINEL, username="u1")
    out = capsys.readouterr().out
    assert SENTINEL not in out
    assert '"username": "u1"' in out
