"""Overdue QA findings reach their owners (issue 18, item 6): one consolidated e-mail a day
per owner address, to a local SMTP sink the test starts (aiosmtpd); a refusal retried; every
delivery recorded in ``audit.notification_delivery`` (who, what, channel, attempts,
outcome; never the body); an overdue finding without an address counted, not dropped."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from email import message_from_bytes
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as make_engine

from services.audit.config import AuditSettings
from services.audit.notices import task
from services.audit.notices.service import send_overdue_notices
from shared.notify import LogChannel, channel_for
from tests.audit.qa import AUDITOR, audit, h, ok, programme, tool
from tests.support.database import ThrowawayDatabase, fresh_database
from tests.support.smtp import savepoint_maker

DAY = date(2026, 2, 1)
DESCRIPTION = "SECRET CASE DETAIL: strategy discussion for child LCS-104233 not held"
#: the findings made: (owner e-mail or None, due date, status)
FINDINGS = [
    ("Team.Manager@council.example", "2026-01-10", "open"),
    ("team.manager@council.example", "2026-01-20", "action_agreed"),
    ("team.manager@council.example", "2099-01-31", "open"),  # not yet due
    ("team.manager@council.example", "2026-01-05", "done"),  # done: not overdue
    ("qa.lead@council.example", "2026-01-31", "open"),
    ("qa.lead@council.example", "2026-02-01", "open"),  # due today: not overdue yet
    (None, "2026-01-15", "open"),  # overdue, nowhere to send
]


def _settings(port: int, **kw: Any) -> AuditSettings:
    values: dict[str, Any] = {
        "profile": "test",
        "notify_channel": "smtp",
        "smtp_port": port,
        "smtp_starttls": False,
        "notify_wait_s": 0,
        "smtp_sender": "qa@council.example",
    }
    return AuditSettings(**(values | kw))


async def _findings(
    client: httpx.AsyncClient, conn: AsyncConnection, rows: list[tuple[str | None, str, str]]
) -> list[int]:
    """Record ``rows`` through the API, then put each in its status (straight in the table)."""
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    made, _ = await audit(client, p["programme_id"])
    ids = []
    for email, due, status in rows:
        body: dict[str, Any] = {
            "audit_id": made["audit_id"],
            "severity": "high",
            "description": DESCRIPTION,
            "owner": "MASH team manager",
            "agency": "council",
            "due_date": due,
        }
        if email is not None:
            body["owner_email"] = email
        created = await ok(await client.post("/v1/findings", json=body, headers=h(AUDITOR)), 201)
        assert "owner_email" not in created  # never shown in reads
        ids.append(created["finding_id"])
        await conn.execute(
            text("UPDATE audit.finding SET status = :s WHERE finding_id = :f"),
            {"s": status, "f": created["finding_id"]},
        )
    return ids


def _expected(ids: list[int]) -> tuple[dict[str, list[int]], list[int]]:
    """Worked out here from FINDINGS: overdue = open or action agreed and due before DAY;
    grouped by address, compared without case; and the overdue ones without an address."""
    by_address: dict[str, list[int]] = {}
    unaddressed: list[int] = []
    for fid, (email, due, status) in zip(ids, FINDINGS, strict=True):
        if status in ("open", "action_agreed") and date.fromisoformat(due) < DAY:
            if email is None:
                unaddressed.append(fid)
            else:
                by_address.setdefault(email.lower(), []).append(fid)
    return by_address, unaddressed


async def _log(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT recipient_kind, recipient_id, kind, reference, finding_ids, channel, "
            "attempts, outcome, error FROM audit.notification_delivery "
            "ORDER BY recipient_kind DESC, recipient_id"
        )
    )
    return [dict(r._mapping) for r in rows]


async def test_each_owner_gets_one_notice_of_their_overdue_findings(
    client: httpx.AsyncClient, audit_connection: AsyncConnection, sink_factory: Any
) -> None:
    sink, port = sink_factory()
    ids = await _findings(client, audit_connection, FINDINGS)
    by_address, unaddressed = _expected(ids)
    assert len(by_address) == 2  # the fixture is what it says
    assert len(unaddressed) == 1
    settings = _settings(port)

    sent = await send_overdue_notices(
        savepoint_maker(audit_connection), channel_for(settings), settings, DAY
    )
    assert sent == Counter({"sent": len(by_address), "no_address": len(unaddressed)})
    got: dict[str, list[int]] = {}
    for recipients, content in sink.received:
        email = message_from_bytes(content)
        assert email["From"] == "qa@council.example"
        assert email["To"] == recipients[0]
        body = email.get_payload(decode=True).decode()
        assert "SECRET CASE DETAIL" not in body  # the description stays in the platform
        got[recipients[0]] = sorted(int(n) for n in re.findall(r"finding (\d+) ", body))
    assert got == by_address

    log = await _log(audit_connection)
    assert [
        (r["recipient_kind"], r["recipient_id"], r["finding_ids"], r["attempts"], r["outcome"])
        for r in log
    ] == [
        *(("owner", a, f, 1, "sent") for a, f in sorted(by_address.items())),
        *(("finding", str(f), [f], 0, "no_address") for f in unaddressed),
    ]
    assert {(r["kind"], r["reference"], r["channel"]) for r in log} == {
        ("finding.overdue", f"findings-overdue:{DAY.isoformat()}", "smtp")
    }
    columns = await audit_connection.execute(
        text(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'audit' AND table_name = 'notification_delivery'"
        )
    )
    assert not {c for (c,) in columns} & {"body", "subject", "message", "description"}

    # the day's second round sends nothing again, nor records the no-address one twice
    assert (
        await send_overdue_notices(
            savepoint_maker(audit_connection), channel_for(settings), settings, DAY
        )
        == Counter()
    )
    assert len(sink.received) == len(by_address)
    # the next day, the still-overdue findings are noticed again
    nxt = await send_overdue_notices(
        savepoint_maker(audit_connection), channel_for(settings), settings, date(2026, 2, 2)
    )
    assert nxt == Counter({"sent": 2, "no_address": 1})


async def test_a_refused_notice_is_retried(
    client: httpx.AsyncClient, audit_connection: AsyncConnection, sink_factory: Any
) -> None:
    sink, port = sink_factory(failures=2)
    ids = await _findings(client, audit_connection, FINDINGS[:1])
    settings = _settings(port, notify_attempts=3)

    sent = await send_overdue_notices(
        savepoint_maker(audit_connection), channel_for(settings), settings, DAY
    )
    assert sent == Counter({"sent": 1})
    assert sink.refused == 2
    assert [r for r, _ in sink.received] == [["team.manager@council.example"]]
    log = await _log(audit_connection)
    assert [(r["finding_ids"], r["attempts"], r["outcome"]) for r in log] == [(ids, 3, "sent")]


async def test_a_notice_failing_every_attempt_is_recorded_and_tried_next_round(
    client: httpx.AsyncClient, audit_connection: AsyncConnection, sink_factory: Any
) -> None:
    sink, port = sink_factory(failures=100)
    await _findings(client, audit_connection, FINDINGS[:1])
    settings = _settings(port, notify_attempts=2)
    maker = savepoint_maker(audit_connection)

    assert await send_overdue_notices(maker, channel_for(settings), settings, DAY) == Counter(
        {"failed": 1}
    )
    assert await send_overdue_notices(maker, channel_for(settings), settings, DAY) == Counter(
        {"failed": 1}
    )
    assert sink.refused == 4
    log = await _log(audit_connection)
    assert [(r["attempts"], r["outcome"], r["error"]) for r in log] == [
        (2, "failed", "SMTPDataError")
    ] * 2


async def test_an_address_that_could_carry_a_header_is_refused(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    made, _ = await audit(client, p["programme_id"])
    body = {
        "audit_id": made["audit_id"],
        "severity": "low",
        "description": "d",
        "owner": "o",
        "agency": "council",
        "due_date": "2026-01-01",
        "owner_email": "a@b.example\r\nBcc: c@d.example",
    }
    r = await client.post("/v1/findings", json=body, headers=h(AUDITOR))
    assert r.status_code == 422
    assert "owner_email" in r.text


def test_the_log_sink_is_the_default_and_the_job_is_off_in_tests() -> None:
    assert isinstance(channel_for(AuditSettings(profile="local")), LogChannel)
    assert task.hooks(AuditSettings(profile="test")) == ([], [])
    assert task.hooks(AuditSettings(profile="local", finding_notices_interval_s=0)) == ([], [])
    starts, stops = task.hooks(AuditSettings(profile="local"))
    assert (len(starts), len(stops)) == (1, 1)


@pytest.fixture(scope="module")
def notices_db(pg_server: str) -> ThrowawayDatabase:
    return fresh_database(pg_server, label="notices")


@pytest.fixture
async def replicas(notices_db: ThrowawayDatabase) -> AsyncIterator[list[AsyncEngine]]:
    engines = [make_engine(notices_db.service_url("audit")) for _ in range(2)]
    yield engines
    for engine in engines:
        await engine.dispose()


async def test_a_round_runs_in_one_replica_at_a_time(replicas: list[AsyncEngine]) -> None:
    settings = AuditSettings(profile="test", notify_channel="off")
    first, second = (
        task.NoticeRunner(e, async_sessionmaker(e), settings, lambda: DAY) for e in replicas
    )
    async with replicas[0].connect() as holder:
        await holder.execute(text("SELECT pg_advisory_lock(hashtext(:k))"), {"k": task.LOCK_KEY})
        await holder.commit()
        assert await second.round() is None  # another replica is at it
        await holder.execute(text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": task.LOCK_KEY})
        await holder.commit()
    assert await second.round() == Counter()  # nothing overdue in the empty database
    assert await first.round() == Counter()  # and the lock was given back


async def test_an_owner_email_set_after_creation_receives_the_notice(
    client: httpx.AsyncClient, audit_connection: AsyncConnection, sink_factory: Any
) -> None:
    """Issue 18: an overdue finding recorded without an address is counted as no_address;
    once its owner e-mail is set (PATCH), the next day's notice reaches that address."""
    sink, port = sink_factory()
    [fid] = await _findings(client, audit_connection, [(None, "2026-01-15", "open")])
    settings = _settings(port)
    maker = savepoint_maker(audit_connection)
    assert await send_overdue_notices(maker, channel_for(settings), settings, DAY) == Counter(
        {"no_address": 1}
    )
    read = await client.get(f"/v1/findings/{fid}", headers=h(AUDITOR))
    r = await client.patch(
        f"/v1/findings/{fid}",
        json={"owner_email": "Late.Owner@council.example"},
        headers=h(AUDITOR, read.headers["ETag"]),
    )
    await ok(r)
    next_day = date.fromordinal(DAY.toordinal() + 1)
    assert await send_overdue_notices(maker, channel_for(settings), settings, next_day) == Counter(
        {"sent": 1}
    )
    [(recipients, content)] = sink.received
    assert recipients == ["late.owner@council.example"]
    assert f"finding {fid} " in message_from_bytes(content).get_payload(decode=True).decode()
