"""The consolidated reminders reach their owners (issue 18, item 6): e-mailed to a local
SMTP sink the test starts (aiosmtpd), a failure retried, every delivery recorded (who,
what, channel, attempts, outcome; never the body)."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.config import ActionsSettings
from services.actions.reminders.delivery import deliver_reminders
from services.actions.reminders.service import run_reminders
from shared.notify import LogChannel, Message, channel_for, deliver
from tests.actions.test_reminders import DAY, _scenario
from tests.support.smtp import savepoint_maker

ADDRESSES = {"Test Owner": "test.owner@council.example", "Second Owner": "second@police.example"}
#: what each owner is due to be reminded of on DAY (the scenario's comments, read by hand)
EXPECTED = {"test.owner@council.example": ["1A1"], "second@police.example": ["1B1"]}


def _settings(port: int, **kw: Any) -> ActionsSettings:
    values: dict[str, Any] = {
        "profile": "test",
        "notify_channel": "smtp",
        "smtp_port": port,
        "smtp_starttls": False,
        "notify_wait_s": 0,
        "smtp_sender": "platform@council.example",
    }
    return ActionsSettings(**(values | kw))


async def _reminders_recorded(conn: AsyncConnection, emails: dict[str, str]) -> None:
    await _scenario(conn)
    for title, email in emails.items():
        await conn.execute(
            text("UPDATE actions.owner SET email = :e WHERE title = :t"), {"e": email, "t": title}
        )
    async with savepoint_maker(conn)() as session, session.begin():
        assert await run_reminders(session, DAY, 14, 14) == 2


async def _deliveries(conn: AsyncConnection) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            "SELECT d.recipient_kind, o.email, d.kind, d.reference, d.channel, d.attempts, "
            "d.outcome, d.error FROM actions.notification_delivery d "
            "JOIN actions.owner o ON o.owner_id::text = d.recipient_id ORDER BY o.email"
        )
    )
    return [dict(r._mapping) for r in rows]


async def test_reminders_are_emailed_to_their_owners_and_recorded(
    conn: AsyncConnection, sink_factory: Any
) -> None:
    sink, port = sink_factory()
    await _reminders_recorded(conn, ADDRESSES)
    settings = _settings(port)

    outcomes = await deliver_reminders(savepoint_maker(conn), channel_for(settings), settings, DAY)
    assert outcomes == Counter({"sent": 2})
    got = {}
    for recipients, content in sink.received:
        email = message_from_bytes(content)
        assert email["From"] == "platform@council.example"
        assert email["To"] == recipients[0]
        got[recipients[0]] = [r for r in ("1A1", "1A2", "1B1", "2A1", "2A2") if r in str(email)]
    assert got == EXPECTED
    records = await _deliveries(conn)
    assert [(r["email"], r["channel"], r["attempts"], r["outcome"]) for r in records] == [
        ("second@police.example", "smtp", 1, "sent"),
        ("test.owner@council.example", "smtp", 1, "sent"),
    ]
    assert {r["kind"] for r in records} == {"reminder.due"}
    assert all(r["reference"].endswith(DAY.isoformat()) for r in records)

    # the next round sends nothing again
    assert (
        await deliver_reminders(savepoint_maker(conn), channel_for(settings), settings, DAY) == {}
    )
    assert len(sink.received) == 2


async def test_a_refused_delivery_is_retried(conn: AsyncConnection, sink_factory: Any) -> None:
    sink, port = sink_factory(failures=2)
    await _reminders_recorded(conn, {"Test Owner": ADDRESSES["Test Owner"]})
    settings = _settings(port, notify_attempts=3)

    outcomes = await deliver_reminders(savepoint_maker(conn), channel_for(settings), settings, DAY)
    assert outcomes == Counter({"sent": 1, "no_address": 1})
    assert sink.refused == 2
    assert [r for r, _ in sink.received] == [[ADDRESSES["Test Owner"]]]
    rows = await conn.execute(
        text(
            "SELECT recipient_id, attempts, outcome FROM actions.notification_delivery "
            "ORDER BY outcome"
        )
    )
    assert [(a, o) for _, a, o in rows.all()] == [(0, "no_address"), (3, "sent")]


async def test_a_delivery_failing_every_attempt_is_recorded_and_tried_next_round(
    conn: AsyncConnection, sink_factory: Any
) -> None:
    sink, port = sink_factory(failures=100)
    await _reminders_recorded(conn, {"Test Owner": ADDRESSES["Test Owner"]})
    settings = _settings(port, notify_attempts=2)
    maker = savepoint_maker(conn)

    first = await deliver_reminders(maker, channel_for(settings), settings, DAY)
    assert first == Counter({"failed": 1, "no_address": 1})
    second = await deliver_reminders(maker, channel_for(settings), settings, DAY)
    assert second == Counter({"failed": 1})  # the failed one again, not the one without address
    assert sink.refused == 4
    rows = await conn.execute(
        text(
            "SELECT attempts, outcome, error FROM actions.notification_delivery "
            "WHERE outcome = 'failed'"
        )
    )
    assert [tuple(r) for r in rows.all()] == [(2, "failed", "SMTPDataError")] * 2


async def test_the_log_sink_is_the_default_and_logs_no_body(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = ActionsSettings(profile="local")
    channel = channel_for(settings)
    assert isinstance(channel, LogChannel)
    message = Message("a@b.example", "subject line", "SECRET BODY TEXT", "reminder:1:2030-03-01")
    done = await deliver(channel, message, settings)
    assert (done.channel, done.attempts, done.outcome) == ("log", 1, "sent")
    assert "SECRET BODY TEXT" not in capsys.readouterr().out
