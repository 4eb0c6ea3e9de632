"""Partner webhooks (issue 18, item 6): a signed delivery to a local receiver the test
starts, which verifies the signature; a failure retried; every delivery logged; the
secret shown once and kept wrapped; targets held to https and public addresses (SSRF)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from services.kpis.config import KpisSettings
from services.kpis.db import outbox
from services.kpis.main import create_app
from services.kpis.webhooks import task
from services.kpis.webhooks.service import dispatch_once
from shared.db import create_sessionmaker
from shared.identity import InternalTokenVerifier
from shared.outbox import OutboxEvent, add_event
from shared.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TargetRefused,
    check_target,
    verify,
)
from tests.support.apps import client_for
from tests.support.database import fresh_database
from tests.support.tokens import ISSUER, auth_header, caller, internal_keys

PARTNER = caller("council", (), ("kpis:read",), kind="client", subject="partner-system")
POLICE = caller("police", (), ("kpis:read",), kind="client", subject="police-system")


class Receiver:
    """A partner's endpoint: answers ``failures`` times 500, then verifies and keeps."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0
        self.secret = ""
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.calls <= self.failures:
            return web.Response(status=500)
        body = await request.read()
        ok = verify(
            self.secret,
            request.headers[TIMESTAMP_HEADER],
            body,
            request.headers[SIGNATURE_HEADER],
            int(time.time()),
        )
        if not ok:
            self.bad_signatures += 1
            return web.Response(status=401)
        self.accepted.append({"body": json.loads(body), "id": request.headers["Webhook-Id"]})
        return web.Response(status=204)


@asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


@pytest.fixture
async def live(pg_server: str) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """kpis on a database of its own with real commits: the dispatcher reads only what other
    transactions have finished, as in production (a rolled-back test transaction would
    never be finished)."""
    db = await asyncio.to_thread(fresh_database, pg_server, "hooks")
    engine = create_async_engine(db.service_url("kpis"), pool_size=4)
    settings = KpisSettings(profile="test", webhook_wait_s=0, webhook_attempts=3)
    app = create_app(settings)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="kpis")
    try:
        async with client_for(app) as http:
            yield app, http
    finally:
        await engine.dispose()


def _maker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    return app.state.sessionmaker  # type: ignore[no-any-return]


def _event(agency: str) -> OutboxEvent:
    return OutboxEvent(
        event_type="import.succeeded",
        entity_type="import",
        entity_id=str(uuid.uuid4()),
        actor={"subject": "analyst", "agency": agency},
        payload={"kind": "annex_a", "rows_stored": 12},
    )


async def _import_finished(app: FastAPI, agency: str) -> str:
    event = _event(agency)
    await _import_finished_as(app, event)
    return str(event.event_id)


async def _subscribe(http: httpx.AsyncClient, url: str, who: Any = PARTNER) -> dict[str, Any]:
    made = await http.post(
        "/v1/webhooks",
        json={"url": url, "events": ["import.succeeded"]},
        headers=auth_header(who, "kpis"),
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_a_signed_event_reaches_the_receiver_after_a_retry_and_is_logged(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = live
    receiver = Receiver(failures=1)
    async with receiving(receiver) as url:
        made = await _subscribe(http, url)
        receiver.secret = made["secret"]
        await _subscribe(http, url, POLICE)  # another agency's: gets no council import
        ours = await _import_finished(app, "council")
        async with task.client(app.state.settings) as client:
            sent = await dispatch_once(_maker(app), app.state.settings, client)
            again = await dispatch_once(_maker(app), app.state.settings, client)
    assert (sent, again) == (1, 0)
    assert receiver.bad_signatures == 0
    assert receiver.calls == 2  # refused once, retried
    assert [a["id"] for a in receiver.accepted] == [ours]
    notice = receiver.accepted[0]["body"]
    assert notice["type"] == "import.succeeded"
    assert notice["entity"]["type"] == "import"
    assert "payload" not in notice
    assert "rows_stored" not in json.dumps(notice)

    log = await http.get(
        f"/v1/webhooks/{made['subscription_id']}/deliveries", headers=auth_header(PARTNER, "kpis")
    )
    assert log.status_code == 200
    assert [
        (d["event_id"], d["attempts"], d["outcome"], d["status_code"]) for d in log.json()["items"]
    ] == [(ours, 2, "delivered", 204)]


async def test_a_receiver_that_keeps_failing_is_logged_as_failed(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = live
    receiver = Receiver(failures=100)
    async with receiving(receiver) as url:
        made = await _subscribe(http, url)
        await _import_finished(app, "council")
        async with task.client(app.state.settings) as client:
            await dispatch_once(_maker(app), app.state.settings, client)
    assert receiver.calls == 3
    log = await http.get(
        f"/v1/webhooks/{made['subscription_id']}/deliveries", headers=auth_header(PARTNER, "kpis")
    )
    assert [(d["attempts"], d["outcome"], d["status_code"]) for d in log.json()["items"]] == [
        (3, "failed", 500)
    ]


async def test_the_secret_is_shown_once_and_kept_wrapped(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = live
    made = await _subscribe(http, "http://127.0.0.1:9/hook")
    assert made["secret"].startswith("whsec_")
    listed = await http.get("/v1/webhooks", headers=auth_header(PARTNER, "kpis"))
    assert [w["subscription_id"] for w in listed.json()["items"]] == [made["subscription_id"]]
    assert "secret" not in listed.text
    async with app.state.engine.connect() as conn:
        stored = (
            await conn.execute(
                text(
                    "SELECT secret_wrapped FROM kpis.webhook_subscription "
                    "WHERE subscription_id = :i"
                ),
                {"i": uuid.UUID(made["subscription_id"])},
            )
        ).scalar_one()
    assert made["secret"].encode() not in bytes(stored)
    # another caller neither sees nor stops it
    other = await http.delete(
        f"/v1/webhooks/{made['subscription_id']}", headers=auth_header(POLICE, "kpis")
    )
    assert other.status_code == 404
    stopped = await http.delete(
        f"/v1/webhooks/{made['subscription_id']}", headers=auth_header(PARTNER, "kpis")
    )
    assert stopped.status_code == 204


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/hook",  # not https
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://100.64.0.1/hook",  # shared address space
        "https://localhost/hook",
        "https://user:pw@93.184.215.14/hook",
    ],
)
def test_production_targets_must_be_https_and_public(url: str) -> None:
    with pytest.raises(TargetRefused):
        check_target(url, "production")


def test_a_public_https_target_passes_and_local_development_may_use_loopback() -> None:
    check_target("https://93.184.215.14/hook", "production")
    check_target("http://127.0.0.1:8080/hook", "local")


async def test_an_internal_target_is_refused_by_the_api_in_production(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = live
    app.state.settings = app.state.settings.model_copy(
        update={"profile": "production", "webhook_key": None}
    )
    refused = await http.post(
        "/v1/webhooks",
        json={"url": "https://x.example/hook", "events": ["import.succeeded"]},
        headers=auth_header(PARTNER, "kpis"),
    )
    assert refused.status_code == 503  # no webhook key configured: webhooks are off
    from pydantic import SecretStr

    app.state.settings = app.state.settings.model_copy(update={"webhook_key": SecretStr("k" * 40)})
    refused = await http.post(
        "/v1/webhooks",
        json={"url": "https://169.254.169.254/hook", "events": ["import.succeeded"]},
        headers=auth_header(PARTNER, "kpis"),
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "url"
    assert "169.254" not in refused.text


async def test_an_event_whose_transaction_commits_after_a_later_one_is_still_sent(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    """The lower ``seq`` commits last: a cursor on ``seq`` alone sent the later event, moved
    past the earlier one, and never sent it. Each is sent once, whatever the commit order."""
    app, http = live
    receiver = Receiver()
    async with receiving(receiver) as url:
        receiver.secret = (await _subscribe(http, url))["secret"]
        first, second = _event("council"), _event("council")
        async with _maker(app)() as slow, task.client(app.state.settings) as client:
            await add_event(slow, outbox, first)
            await slow.flush()  # takes the lower seq, stays open
            await _import_finished_as(app, second)  # a higher seq, committed now
            while_open = await dispatch_once(_maker(app), app.state.settings, client)
            await slow.commit()
            after = await dispatch_once(_maker(app), app.state.settings, client)
            again = await dispatch_once(_maker(app), app.state.settings, client)
    assert await _seq(app, first) < await _seq(app, second)  # the case: lower seq, later commit
    delivered = [a["id"] for a in receiver.accepted]
    assert sorted(delivered) == sorted([str(first.event_id), str(second.event_id)])
    assert (while_open, after, again) == (0, 2, 0)


async def test_a_rolled_back_event_is_never_sent_and_holds_nothing_up(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = live
    receiver = Receiver()
    async with receiving(receiver) as url:
        receiver.secret = (await _subscribe(http, url))["secret"]
        gone, kept = _event("council"), _event("council")
        async with _maker(app)() as doomed, task.client(app.state.settings) as client:
            await add_event(doomed, outbox, gone)
            await doomed.flush()
            await _import_finished_as(app, kept)
            await doomed.rollback()
            sent = await dispatch_once(_maker(app), app.state.settings, client)
    assert sent == 1
    assert [a["id"] for a in receiver.accepted] == [str(kept.event_id)]


async def _import_finished_as(app: FastAPI, event: OutboxEvent) -> None:
    async with _maker(app)() as session:
        await add_event(session, outbox, event)
        await session.commit()


async def _seq(app: FastAPI, event: OutboxEvent) -> int:
    async with app.state.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT seq FROM kpis.outbox WHERE event_id = :e"), {"e": event.event_id}
        )
        return int(found.scalar_one())


async def test_subscriptions_and_deliveries_sort_like_every_list(
    live: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    app, http = live
    me = auth_header(PARTNER, "kpis")
    receiver = Receiver(failures=1)  # the first delivery fails after its retries
    app.state.settings = app.state.settings.model_copy(update={"webhook_attempts": 1})
    async with receiving(receiver) as url:
        made = [await _subscribe(http, f"{url}?n={n}") for n in (2, 0, 1)]
        receiver.secret = made[0]["secret"]
        for _ in range(2):
            await _import_finished(app, "council")
            async with task.client(app.state.settings) as client:
                await dispatch_once(_maker(app), app.state.settings, client)
    by_url = await http.get("/v1/webhooks", params={"sort": "-url"}, headers=me)
    assert by_url.status_code == 200, by_url.text
    urls = [w["url"] for w in by_url.json()["items"]]
    assert urls == sorted((m["url"] for m in made), reverse=True)
    default = await http.get("/v1/webhooks", headers=me)
    assert [w["subscription_id"] for w in default.json()["items"]] == [
        m["subscription_id"] for m in made
    ]  # oldest first, as before
    log = f"/v1/webhooks/{made[0]['subscription_id']}/deliveries"
    newest = (await http.get(log, headers=me)).json()["items"]
    assert [d["outcome"] for d in newest] == ["delivered", "failed"]
    oldest = (await http.get(log, params={"sort": "delivery_id"}, headers=me)).json()["items"]
    assert oldest == newest[::-1]
    by_outcome = (await http.get(log, params={"sort": "-outcome"}, headers=me)).json()["items"]
    assert [d["outcome"] for d in by_outcome] == ["failed", "delivered"]
    bad = await http.get(log, params={"sort": "secret"}, headers=me)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["sort"]
