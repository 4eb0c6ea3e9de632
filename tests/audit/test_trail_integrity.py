"""AU3/AU4: the trail is append-only for every role, and tampering as a superuser is located."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.audit.config import AuditSettings
from services.audit.trail import repository as repo
from services.audit.trail import service
from services.audit.trail.chain import link
from services.audit.trail.schemas import EventCreate
from services.audit.trail.signing import CheckpointSigner
from shared.bootstrap import SERVICES
from tests.audit.conftest import event
from tests.support.apps import session_on
from tests.support.database import ThrowawayDatabase

TABLES = ("trail_event", "trail_checkpoint")
signer = CheckpointSigner.from_settings(AuditSettings(profile="test"))


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("role_of", [s for s in SERVICES if s != "audit"])
async def test_other_service_roles_cannot_read_the_trail(
    database: ThrowawayDatabase, role_of: str, table: str
) -> None:
    conn = await asyncpg.connect(database.service_url(role_of, driver="postgresql"))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch(f"SELECT * FROM audit.{table} LIMIT 1")
    finally:
        await conn.close()


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit.{t} SET seq = seq", "DELETE FROM audit.{t}", "TRUNCATE audit.{t}"],
    ids=["update", "delete", "truncate"],
)
async def test_the_audit_role_may_not_change_the_trail(
    database: ThrowawayDatabase, statement: str, table: str
) -> None:
    conn = await asyncpg.connect(database.service_url("audit", driver="postgresql"))
    try:
        assert await conn.fetchval(f"SELECT count(*) FROM audit.{table}") >= 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(statement.format(t=table))
    finally:
        await conn.close()


@pytest.fixture
async def chained(
    admin_connection: AsyncConnection, walk_mode: str
) -> AsyncIterator[tuple[AsyncSession, int]]:
    """Six events appended as usual, then the superuser's session; yields (session, first seq)."""
    session = session_on(admin_connection)
    stored = await service.append(
        session, "actions", [EventCreate.model_validate(event(entity_id=f"A{i}")) for i in range(6)]
    )
    await session.flush()
    yield session, stored.head_seq - 5
    await session.close()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit.{t} SET seq = seq", "DELETE FROM audit.{t}", "TRUNCATE audit.{t}"]
)
async def test_a_trigger_refuses_changes_even_for_the_owner(
    chained: tuple[AsyncSession, int], statement: str
) -> None:
    session, _ = chained
    await service.make_checkpoint(session, signer)
    for table in TABLES:
        await session.execute(text("SAVEPOINT t"))
        with pytest.raises(Exception, match="append-only"):
            await session.execute(text(statement.format(t=table)))
        await session.execute(text("ROLLBACK TO SAVEPOINT t"))


async def _untriggered(session: AsyncSession) -> None:
    """What an attacker with superuser rights does first: switch triggers off."""
    await session.execute(text("SET LOCAL session_replication_role = replica"))


async def _broken_at(session: AsyncSession, *extra):  # type: ignore[no-untyped-def]
    result = await service.verify(session, signer, extra)
    assert result.valid is False
    assert result.first_broken is not None
    return result.first_broken


async def test_an_untouched_chain_verifies(chained: tuple[AsyncSession, int]) -> None:
    session, _ = chained
    result = await service.verify(session, signer)
    assert result.valid is True
    assert result.events_checked >= 6


async def test_an_edited_field_is_located(chained: tuple[AsyncSession, int]) -> None:
    session, first = chained
    await _untriggered(session)
    await session.execute(
        text('UPDATE audit.trail_event SET payload = \'{"status": "done"}\' WHERE seq = :s'),
        {"s": first + 3},
    )
    broken = await _broken_at(session)
    assert broken.seq == first + 3
    assert "hash" in broken.reason


async def test_a_deleted_row_is_located(chained: tuple[AsyncSession, int]) -> None:
    session, first = chained
    await _untriggered(session)
    await session.execute(text("DELETE FROM audit.trail_event WHERE seq = :s"), {"s": first + 2})
    broken = await _broken_at(session)
    assert broken.seq == first + 2
    assert "missing" in broken.reason


async def test_two_swapped_rows_are_located(chained: tuple[AsyncSession, int]) -> None:
    session, first = chained
    await _untriggered(session)
    a, b = first + 1, first + 2
    for old, new in ((a, -1), (b, a), (-1, b)):
        await session.execute(
            text("UPDATE audit.trail_event SET seq = :n WHERE seq = :o"), {"n": new, "o": old}
        )
    broken = await _broken_at(session)
    assert broken.seq == a


async def test_an_inserted_row_is_located(chained: tuple[AsyncSession, int]) -> None:
    """The forger even chains the inserted row correctly; the next link then breaks."""
    session, first = chained
    await _untriggered(session)
    at = first + 3
    await session.execute(
        text("UPDATE audit.trail_event SET seq = seq + 1000 WHERE seq >= :s"), {"s": at}
    )
    await session.execute(
        text("UPDATE audit.trail_event SET seq = seq - 999 WHERE seq >= :s"), {"s": at + 1000}
    )
    prev = await session.scalar(
        text("SELECT hash FROM audit.trail_event WHERE seq = :s"), {"s": at - 1}
    )
    forged = dict(event(entity_id="FORGED"), seq=at, source="actions")
    row = {**forged, "occurred_at": datetime.fromisoformat(forged["occurred_at"])}
    row["recorded_at"] = row["occurred_at"]
    await session.execute(
        text(
            "INSERT INTO audit.trail_event (seq, event_id, source, event_type, entity_type, "
            "entity_id, occurred_at, recorded_at, actor, request_id, purpose, payload, hash) "
            "VALUES (:seq, :event_id, :source, :event_type, :entity_type, :entity_id, "
            ":occurred_at, :recorded_at, CAST(:actor AS jsonb), :request_id, :purpose, "
            "CAST(:payload AS jsonb), :hash)"
        ),
        {
            **row,
            "actor": json.dumps(row["actor"]),
            "payload": json.dumps(row["payload"]),
            "hash": link(prev, row),
        },
    )
    broken = await _broken_at(session)
    assert broken.seq == at + 1


async def _rewrite_and_rehash(session: AsyncSession, from_seq: int) -> None:
    await _untriggered(session)
    await session.execute(
        text('UPDATE audit.trail_event SET payload = \'{"status": "rewritten"}\' WHERE seq = :s'),
        {"s": from_seq},
    )
    prev = await session.scalar(
        text("SELECT hash FROM audit.trail_event WHERE seq = :s"), {"s": from_seq - 1}
    )
    async for row in repo.walk(session):
        if row["seq"] < from_seq:
            continue
        new = link(prev, row)
        await session.execute(
            text("UPDATE audit.trail_event SET hash = :h WHERE seq = :s"),
            {"h": new, "s": row["seq"]},
        )
        prev = new


async def test_a_rewrite_that_rehashes_everything_is_caught_by_the_stored_checkpoint(
    chained: tuple[AsyncSession, int],
) -> None:
    session, first = chained
    checkpoint = await service.make_checkpoint(session, signer)
    await _rewrite_and_rehash(session, first + 2)
    broken = await _broken_at(session)
    assert broken.seq == checkpoint.seq
    assert "checkpoint" in broken.reason


async def test_a_rewrite_that_also_deletes_the_checkpoints_is_caught_by_an_exported_one(
    chained: tuple[AsyncSession, int],
) -> None:
    session, first = chained
    exported = await service.make_checkpoint(session, signer)
    await _rewrite_and_rehash(session, first + 2)
    await session.execute(text("DELETE FROM audit.trail_checkpoint"))
    assert (await service.verify(session, signer)).valid is True  # the rewrite looks clean
    broken = await _broken_at(session, exported)
    assert broken.seq == exported.seq


async def test_cutting_off_the_tail_is_caught_by_a_checkpoint(
    chained: tuple[AsyncSession, int],
) -> None:
    session, first = chained
    exported = await service.make_checkpoint(session, signer)
    await _untriggered(session)
    await session.execute(text("DELETE FROM audit.trail_event WHERE seq >= :s"), {"s": first + 4})
    broken = await _broken_at(session, exported)
    assert broken.seq == first + 4
    assert "missing" in broken.reason


async def test_a_forged_checkpoint_is_refused(chained: tuple[AsyncSession, int]) -> None:
    session, _ = chained
    real = await service.make_checkpoint(session, signer)
    forged = real.model_copy(update={"seq": real.seq - 1})
    broken = await _broken_at(session, forged)
    assert "signature" in broken.reason


async def test_a_range_check_covers_only_its_range(chained: tuple[AsyncSession, int]) -> None:
    session, first = chained
    await _untriggered(session)
    await session.execute(
        text("UPDATE audit.trail_event SET entity_id = 'X' WHERE seq = :s"), {"s": first + 3}
    )
    around = await service.verify(session, signer, from_seq=first + 2, to_seq=first + 4)
    assert around.first_broken is not None
    assert around.first_broken.seq == first + 3
    after = await service.verify(session, signer, from_seq=first + 4)
    assert after.valid
    assert after.events_checked == 2
    beyond = await service.verify(session, signer, from_seq=first + 100)
    assert beyond.valid
    assert beyond.events_checked == 0
