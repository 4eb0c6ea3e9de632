"""AU6: the unprotected tail is bounded and the latest checkpoint is anchored outside the database.

Each tampering test works as a superuser (triggers off) on a chain whose checkpoints were
signed automatically and anchored in a file, and checks that ``verify`` with the anchor names
the first broken point, where ``verify`` on the database alone was fooled.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.audit.config import AuditSettings
from services.audit.main import create_app
from services.audit.trail import repository as repo
from services.audit.trail import service, ticker
from services.audit.trail import verify as verify_command
from services.audit.trail.anchor import Anchor
from services.audit.trail.chain import link
from services.audit.trail.schemas import EventCreate, Verification
from services.audit.trail.signing import CheckpointSigner
from tests.audit.conftest import as_, event, reader, relay_caller
from tests.support.apps import bind_app, client_for, session_on
from tests.support.database import ThrowawayDatabase

signer = CheckpointSigner.from_settings(AuditSettings(profile="test"))


@pytest.fixture
async def session(admin_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """The superuser's session; each ``commit`` releases a savepoint, all rolled back at the end."""
    s = session_on(admin_connection)
    yield s
    await s.close()


@pytest.fixture
def anchor(tmp_path: Path) -> Anchor:
    return Anchor(tmp_path / "anchor" / "trail.jsonl")


async def _append(session: AsyncSession, count: int, every: int, anchor: Anchor) -> int:
    """``count`` events, one append each (as relays and requests do), committed; the head."""
    head = 0
    for i in range(count):
        stored = await service.append(
            session,
            "actions",
            [EventCreate.model_validate(event(entity_id=f"E{i}"))],
            signer=signer,
            checkpoint_every=every,
            anchor=anchor,
        )
        head = stored.head_seq
    await session.commit()
    return head


async def _verify(session: AsyncSession, anchor: Anchor | None) -> Verification:
    return await service.verify(
        session, signer, anchored=anchor.read() if anchor is not None else None
    )


async def _untriggered(session: AsyncSession) -> None:
    await session.execute(text("SET LOCAL session_replication_role = replica"))


async def _rewrite_and_rehash(session: AsyncSession, from_seq: int) -> None:
    """Change one event and recompute every hash after it, as a careful forger would."""
    await _untriggered(session)
    await session.execute(
        text('UPDATE audit.trail_event SET payload = \'{"status": "rewritten"}\' WHERE seq = :s'),
        {"s": from_seq},
    )
    prev = await session.scalar(
        text("SELECT hash FROM audit.trail_event WHERE seq = :s"), {"s": from_seq - 1}
    )
    async for row in repo.walk(session, after=from_seq - 1):
        new = link(prev, row)
        await session.execute(
            text("UPDATE audit.trail_event SET hash = :h WHERE seq = :s"),
            {"h": new, "s": row["seq"]},
        )
        prev = new


def _multiples(after: int, upto: int, every: int) -> list[int]:
    return [n for n in range(after + 1, upto + 1) if n % every == 0]


async def test_an_untouched_chain_verifies_against_its_anchor_and_reports_the_tail(
    session: AsyncSession, anchor: Anchor
) -> None:
    start, _ = await repo.head(session)
    head = await _append(session, 25, every=10, anchor=anchor)
    assert head == start + 25
    expected = _multiples(start, head, 10)
    assert [cp.seq for cp in anchor.read().checkpoints] == expected
    result = await _verify(session, anchor)
    assert result.valid, result.first_broken
    assert result.anchored_checkpoints == len(expected)
    tail = result.unprotected_tail
    assert tail is not None
    assert (tail.anchored, tail.after_seq, tail.events) == (True, expected[-1], head - expected[-1])
    assert tail.oldest_recorded_at is not None
    assert tail.age_s is not None
    assert tail.age_s >= 0


async def test_rewriting_and_rehashing_the_events_after_the_last_checkpoint_is_caught(
    session: AsyncSession, anchor: Anchor
) -> None:
    """The reported case: 228 events after the last checkpoint rewritten and rehashed."""
    await _append(session, 3, every=1000, anchor=anchor)
    last = await service.make_checkpoint(session, signer, anchor=anchor)
    await session.commit()
    head = await _append(session, 228, every=100, anchor=anchor)
    automatic = _multiples(last.seq, head, 100)
    assert automatic  # 228 events always pass at least two multiples of 100
    await _rewrite_and_rehash(session, last.seq + 1)
    await session.execute(
        text("DELETE FROM audit.trail_checkpoint WHERE seq > :s"), {"s": last.seq}
    )
    assert (await _verify(session, None)).valid is True  # the database alone is fooled
    result = await _verify(session, anchor)
    assert result.valid is False
    assert result.first_broken is not None
    assert result.first_broken.seq == automatic[0]


async def test_deleting_a_checkpoint_and_rehashing_is_caught(
    session: AsyncSession, anchor: Anchor
) -> None:
    start, _ = await repo.head(session)
    head = await _append(session, 12, every=5, anchor=anchor)
    checkpoints = _multiples(start, head, 5)
    target = checkpoints[-1]
    await _untriggered(session)
    await session.execute(text("DELETE FROM audit.trail_checkpoint WHERE seq = :s"), {"s": target})
    result = await _verify(session, anchor)
    assert result.first_broken is not None
    assert result.first_broken.seq == target
    assert "missing from the database" in result.first_broken.reason
    await _rewrite_and_rehash(session, target - 1)
    assert (await _verify(session, None)).valid is True  # the database alone is fooled
    result = await _verify(session, anchor)
    assert result.valid is False
    assert result.first_broken is not None
    assert result.first_broken.seq == target


async def test_cutting_off_the_last_events_is_caught(session: AsyncSession, anchor: Anchor) -> None:
    await _append(session, 7, every=1000, anchor=anchor)
    made = await service.checkpoint_tail(session, signer, anchor)  # what the ticker does
    await session.commit()
    assert made is not None
    head = made.seq
    await _untriggered(session)
    await session.execute(text("DELETE FROM audit.trail_event WHERE seq > :s"), {"s": head - 3})
    await session.execute(
        text("DELETE FROM audit.trail_checkpoint WHERE seq > :s"), {"s": head - 3}
    )
    assert (await _verify(session, None)).valid is True  # the database alone is fooled
    result = await _verify(session, anchor)
    assert result.valid is False
    assert result.first_broken is not None
    assert result.first_broken.seq == head - 2
    assert "missing" in result.first_broken.reason


async def test_a_rewrite_inside_the_unprotected_tail_is_not_caught_but_the_tail_is_reported(
    session: AsyncSession, anchor: Anchor
) -> None:
    """The limit of AU6: events after the latest anchored checkpoint can still be rewritten."""
    start, _ = await repo.head(session)
    head = await _append(session, 8, every=5, anchor=anchor)
    last = _multiples(start, head, 5)[-1]
    await _rewrite_and_rehash(session, last + 1)
    result = await _verify(session, anchor)
    assert result.valid is True
    assert result.unprotected_tail is not None
    assert (result.unprotected_tail.after_seq, result.unprotected_tail.events) == (
        last,
        head - last,
    )


async def test_the_tick_anchors_the_tail_only_when_there_is_one(
    session: AsyncSession, anchor: Anchor
) -> None:
    head = await _append(session, 3, every=1000, anchor=anchor)
    assert anchor.read().checkpoints == []
    made = await service.checkpoint_tail(session, signer, anchor)
    assert made is not None
    assert made.seq == head
    assert anchor.read().checkpoints == []  # not before the commit
    await session.commit()
    assert [cp.seq for cp in anchor.read().checkpoints] == [head]
    assert await service.checkpoint_tail(session, signer, anchor) is None
    await session.commit()
    assert len(anchor.read().checkpoints) == 1


async def test_a_rolled_back_checkpoint_is_never_anchored(
    session: AsyncSession, anchor: Anchor
) -> None:
    await _append(session, 2, every=1000, anchor=anchor)
    await service.make_checkpoint(session, signer, anchor=anchor)
    await session.rollback()
    await _append(session, 1, every=1000, anchor=anchor)  # a later commit anchors nothing old
    assert anchor.read().checkpoints == []


async def test_a_missing_or_damaged_anchor_file_is_a_break(
    session: AsyncSession, anchor: Anchor
) -> None:
    await _append(session, 5, every=5, anchor=anchor)
    assert (await _verify(session, anchor)).valid
    good = anchor.path.read_text()
    anchor.path.write_text(good + "not a checkpoint\n")
    damaged = await _verify(session, anchor)
    assert damaged.first_broken is not None
    assert "line 2 of the anchor file" in damaged.first_broken.reason
    anchor.path.unlink()
    missing = await _verify(session, anchor)
    assert missing.first_broken is not None
    assert "anchor file" in missing.first_broken.reason
    assert missing.valid is False


async def test_a_forged_anchor_line_is_refused(session: AsyncSession, anchor: Anchor) -> None:
    await _append(session, 5, every=5, anchor=anchor)
    real = anchor.read().checkpoints[-1]
    forged = real.model_copy(update={"hash": "0" * 64})
    anchor.append([forged])
    result = await _verify(session, anchor)
    assert result.first_broken is not None
    assert "signature" in result.first_broken.reason


@pytest.fixture
def anchored_app(audit_connection: AsyncConnection, tmp_path: Path) -> FastAPI:
    settings = AuditSettings(
        profile="test", checkpoint_every_events=3, anchor_path=tmp_path / "anchor.jsonl"
    )
    return bind_app(create_app(settings), audit_connection, audience="audit")


async def test_the_service_anchors_its_automatic_checkpoints_and_verify_uses_them(
    anchored_app: FastAPI,
) -> None:
    anchor: Anchor = anchored_app.state.trail_anchor
    async with client_for(anchored_app) as client:
        heads = []
        for _ in range(3):
            r = await client.post(
                "/v1/trail/events",
                json={"events": [event() for _ in range(3)]},
                headers=as_(relay_caller()),
            )
            assert r.status_code == 200, r.text
            heads.append(r.json()["head_seq"])
        # three events pass exactly one multiple of 3: each batch ends in a checkpoint
        anchored = [cp.seq for cp in anchor.read().checkpoints]
        assert anchored == heads
        verified = await client.get("/v1/trail/verify", headers=as_(reader()))
        body = verified.json()
        assert body["valid"] is True
        assert body["anchored_checkpoints"] == 3
        assert body["unprotected_tail"]["anchored"] is True
        assert body["unprotected_tail"]["after_seq"] == anchored[-1]


def test_production_needs_an_anchor_path() -> None:
    with pytest.raises(ValueError, match="AUDIT_ANCHOR_PATH"):
        AuditSettings(
            profile="production",
            checkpoint_signing_key="x",  # type: ignore[arg-type]
            database_url="postgresql+asyncpg://a:strong-secret@h/db",  # type: ignore[arg-type]
            internal_jwt_public_key="k",  # type: ignore[arg-type]
        )


async def test_the_ticker_anchors_the_tail_after_its_commit(anchored_app: FastAPI) -> None:
    anchor: Anchor = anchored_app.state.trail_anchor
    async with client_for(anchored_app) as client:
        r = await client.post(
            "/v1/trail/events", json={"events": [event()]}, headers=as_(relay_caller())
        )
        head = r.json()["head_seq"]
    before = [cp.seq for cp in anchor.read().checkpoints]
    await ticker.tick(anchored_app)
    after = [cp.seq for cp in anchor.read().checkpoints]
    expected = before if head in before else [*before, head]  # the head, anchored once
    assert after == expected
    await ticker.tick(anchored_app)  # nothing new: no second checkpoint
    assert [cp.seq for cp in anchor.read().checkpoints] == after


def test_the_command_fails_when_the_anchor_file_is_missing(
    database: ThrowawayDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("AUDIT_PROFILE", "test")
    monkeypatch.setenv("AUDIT_DATABASE_URL", database.service_url("audit"))
    assert verify_command.main(["--anchor", str(tmp_path / "gone.jsonl")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["first_broken"]["reason"] == "the anchor file outside the database is missing"
    kept = Anchor(tmp_path / "kept.jsonl")
    kept.create()
    assert verify_command.main(["--anchor", str(kept.path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unprotected_tail"]["anchored"] is True
