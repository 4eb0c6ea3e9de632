"""docs/partners.md stays true: each example is posted to the running code and the answer
compared with the one the guide shows; each limit it names is the setting's value."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpis.config import KpisSettings
from services.kpis.imports.schemas import ImportRead
from services.kpis.imports.service import MAX_FILES
from services.kpis.main import create_app as kpis_app
from services.kpis.seed import seed as seed_kpis
from services.kpis.submissions.schemas import MAX_ROWS
from tests.gateway.conftest import Gateway, gateway_settings
from tests.support.apps import bind_app, client_for, session_on
from tests.support.tokens import auth_header, caller

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
BLOCK = re.compile(r"<!-- example: (\S+) -->\n```(\w+)\n(.*?)```", re.DOTALL)
ICB_SYSTEM = caller("ccg", (), ("kpis:read", "kpis:submit"), kind="client")


def examples() -> dict[str, str]:
    found = {name: body for name, _, body in BLOCK.findall(GUIDE.read_text())}
    assert found, "no examples found in docs/partners.md"
    return found


def example(name: str) -> Any:
    return json.loads(examples()[name])


def _same(answer: Any, shown: Any) -> None:
    """The answer is the guide's, placeholders (``<uuid>``, ``<JWT>``) standing for any
    value of that field."""
    if isinstance(shown, str) and shown.startswith("<") and shown.endswith(">"):
        assert isinstance(answer, str)
        assert answer
        return
    if isinstance(shown, dict):
        assert isinstance(answer, dict)
        assert sorted(answer) == sorted(shown), (sorted(answer), sorted(shown))
        for key, value in shown.items():
            _same(answer[key], value)
        return
    if isinstance(shown, list):
        assert isinstance(answer, list)
        assert len(answer) == len(shown)
        for a, s in zip(answer, shown, strict=True):
            _same(a, s)
        return
    assert answer == shown


@pytest.fixture
async def kpis(kpis_connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with session_on(kpis_connection) as session:
        await seed_kpis(session)
        await session.commit()
    app = bind_app(kpis_app(KpisSettings(profile="test")), kpis_connection, audience="kpis")
    async with client_for(app) as client:
        yield client


async def test_the_guides_batch_report_and_rejection_are_what_kpis_answers(
    kpis: httpx.AsyncClient,
) -> None:
    batch = example("submission-request")
    headers = auth_header(ICB_SYSTEM, "kpis")
    # all or nothing first: it writes nothing, so the partial batch then meets the same data
    r = await kpis.post("/v1/submissions", json=batch | {"mode": "all_or_nothing"}, headers=headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    shown = example("submission-rejected")
    _same(r.json(), shown)
    r = await kpis.post("/v1/submissions", json=batch, headers=headers)
    assert r.status_code == 201, r.text
    _same(r.json(), example("submission-response"))


async def test_the_guides_retry_rules_hold(kpis: httpx.AsyncClient) -> None:
    batch = example("submission-request")
    key = {"Idempotency-Key": str(uuid.uuid4())} | auth_header(ICB_SYSTEM, "kpis")
    first = await kpis.post("/v1/submissions", json=batch, headers=key)
    again = await kpis.post("/v1/submissions", json=batch, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # written once, answered twice
    other = await kpis.post("/v1/submissions", json=batch | {"dry_run": True}, headers=key)
    assert other.status_code == 422
    # without the key, the retry is a second batch: the stored row comes back unchanged
    plain = await kpis.post("/v1/submissions", json=batch, headers=auth_header(ICB_SYSTEM, "kpis"))
    assert [row["status"] for row in plain.json()["rows"]] == ["unchanged", "rejected"]


async def test_the_guides_credentials_and_token_are_what_the_gateway_answers(
    gw: Gateway,
) -> None:
    admin = await gw.bearer(("admin",))
    r = await gw.http.post("/v1/clients", json=example("client-request"), headers=admin)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["client_secret"]
    assert made["scopes"] == ["kpis:submit"]
    request = examples()["token-request"]
    head, _, body = request.partition("\n\n")
    assert head.splitlines()[0] == "POST /oauth/token"
    form = dict(parse_qsl(body.strip()))
    form = form | {"client_id": made["client_id"], "client_secret": made["client_secret"]}
    r = await gw.http.post("/oauth/token", data=form)
    assert r.status_code == 200, r.text
    _same(r.json(), example("token-response"))


def test_the_guides_import_job_is_an_import_job() -> None:
    job = example("import-job")
    assert ImportRead.model_validate(job).model_dump(mode="json", exclude_unset=True) == job


def test_the_guides_limits_are_the_settings() -> None:
    text = GUIDE.read_text()
    settings = gateway_settings()
    for value, name in (
        (settings.rate_limit_default, "RATE_LIMIT_DEFAULT"),
        (settings.rate_limit_write, "RATE_LIMIT_WRITE"),
        (settings.rate_limit_import, "RATE_LIMIT_IMPORT"),
        (settings.rate_limit_auth, "RATE_LIMIT_AUTH"),
        (f"{settings.body_limit_bytes:,} bytes", "BODY_LIMIT_BYTES"),
        (f"{settings.submission_body_limit_bytes:,} bytes", "SUBMISSION_BODY_LIMIT_BYTES"),
        (f"{settings.import_body_limit_bytes:,} bytes", "IMPORT_BODY_LIMIT_BYTES"),
    ):
        assert f"| {value} (`GATEWAY_{name}`) |" in text, name
    assert f"| rows per submission | {MAX_ROWS:,} " in text
    assert f"| files per import | {MAX_FILES}," in text
    assert f"{settings.access_token_ttl_s // 60} minutes" in text
