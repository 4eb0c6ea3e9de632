"""verify's COPY-text path builds the very documents ``chain.canonical`` builds, byte for byte.

Awkward values are stored through the ordinary append (hashes by ``chain.link``), read back
both ways from the same PostgreSQL, and compared document by document; tampered rows (an
``infinity`` time, NULLs where the schema had none) must get the same answer as the
reference walk over SQLAlchemy rows.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.audit.config import AuditSettings
from services.audit.trail import repository as repo
from services.audit.trail import service
from services.audit.trail.chain import ChainWalker, canonical
from services.audit.trail.copytext import CopyReader, JsonCache, canonical_text
from services.audit.trail.schemas import EventCreate
from services.audit.trail.signing import CheckpointSigner
from tests.audit.conftest import event
from tests.support.apps import session_on

signer = CheckpointSigner.from_settings(AuditSettings(profile="test"))

STRINGS = [
    "plain",
    "é café Zoë",
    "emoji 😀 and 𝄞",
    "line\u2028sep\u2029",
    'quote " and backslash \\ and slash /',
    "tab\tnew\nline\rret\b\f\x01\x1f\x7f",
    "\\N",
    "\\",
    "",
    "\ue000 private",
]
KEYS = ["b", "a", "aa", "A", "é", "😀", "\ue000", "a b", "\\N", "x\ty", "10", "9"]
NUMBERS: list[Any] = [
    0,
    -0.0,
    1.0,
    0.1,
    -1.5,
    4.5e15,
    1e-7,
    123.456e5,
    2**53 - 1,
    -(2**53 - 1),
    10**15,
    10**15 - 1,
    5e-324,
    1e21 / 1e6,
    True,
    False,
    None,
]


def _value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(5 if depth < 3 else 2)
    if kind == 0:
        return rng.choice(STRINGS)
    if kind == 1:
        return rng.choice(NUMBERS)
    if kind == 2:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(KEYS + STRINGS): _value(rng, depth + 1) for _ in range(rng.randrange(5))}


def _events(count: int) -> list[EventCreate]:
    rng = random.Random(20)
    base = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
    times = [
        base,
        base.replace(microsecond=999999),
        base.replace(microsecond=1),
        base.replace(microsecond=120000),
        datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999998, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=timezone_plus_5),
    ]
    made = []
    for i in range(count):
        payload = {rng.choice(KEYS): _value(rng) for _ in range(rng.randrange(1, 6))}
        made.append(
            EventCreate.model_validate(
                event(
                    entity_id=rng.choice(STRINGS) or "x",
                    entity_type=rng.choice(["action", "kpi é", 'a"b']),
                    event_type=rng.choice(["action.updated", "x\\y", "tab\tt"]),
                    occurred_at=times[i % len(times)].isoformat(),
                    actor={rng.choice(KEYS): rng.choice(STRINGS), "roles": [_value(rng)]},
                    request_id=rng.choice([None, "r-1", "\\N", "ü"]),
                    purpose=rng.choice([None, "", "\\N", "purpose ✓"]),
                    payload=payload,
                )
            )
        )
    return made


timezone_plus_5 = __import__("datetime").timezone(timedelta(hours=5))


@pytest.fixture
async def session(admin_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    s = session_on(admin_connection)
    yield s
    await s.close()


class Recorder(ChainWalker):
    """A walker that keeps every document it is given."""

    def __init__(self) -> None:
        super().__init__(inline=False)
        self.documents: dict[int, bytes] = {}

    def link(self, seq: int, stored_hash: str | None, event_id: Any, document: bytes) -> bool:
        self.documents[seq] = document
        return super().link(seq, stored_hash, event_id, document)


async def _copy_documents(session: AsyncSession, first: int) -> dict[int, bytes]:
    walker = Recorder()
    walker.expected_seq = first
    walker.prev_hash = await repo.hash_at(session, first - 1) or walker.prev_hash
    reader = CopyReader(walker, JsonCache(size=8))  # a small cache: cleared while in use
    await repo.copy_chain(session, reader, after=first - 1, until=None, limit=10_000)
    assert reader.unsure is None
    return walker.documents


async def test_copy_text_documents_equal_chain_canonical(session: AsyncSession) -> None:
    stored = await service.append(session, "actions", _events(300))
    first = stored.head_seq - 299
    fast = await _copy_documents(session, first)
    reference = {
        int(row["seq"]): canonical(row) async for row in repo.walk(session, after=first - 1)
    }
    assert len(reference) == 300
    assert fast == reference
    assert (await service.verify(session, signer)).valid


@pytest.mark.parametrize(
    "text_",
    [
        '{"b": 1, "a": [1.0, 2.5, -0.0]}',
        '{"n": 9007199254740991, "m": 123456789012345}',
        '{"é": "x", "e": "😀", "\ue000": 1, "😀": 2}',
        '{"s": "\\u0001\\n\\"\\\\"}',
        '{"x": {"z": {"y": [true, false, null, 1e16]}}}',
        "[]",
        '"just a string"',
        "12",
    ],
)
def test_canonical_text_equals_canonical_json(text_: str) -> None:
    import json

    from services.audit.trail.chain import canonical_json

    assert canonical_text(text_).encode() == canonical_json(json.loads(text_))


async def _reference_verify(session: AsyncSession) -> tuple[int, Any]:
    walker = ChainWalker()
    async for row in repo.walk(session):
        if not walker.feed(row):
            break
    return walker.checked, walker.broken


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit.trail_event SET payload = '{\"a\": 1.50}' WHERE seq = :s",
        "UPDATE audit.trail_event SET purpose = E'\\\\N' WHERE seq = :s",
        "UPDATE audit.trail_event SET entity_id = E'a\\tb\\\\c' WHERE seq = :s",
        "UPDATE audit.trail_event SET hash = 'not hex' WHERE seq = :s",
        "UPDATE audit.trail_event SET seq = seq + 1000 WHERE seq >= :s",
    ],
    ids=["float", "null-text", "escapes", "hash", "gap"],
)
async def test_tampering_gets_the_reference_answer(
    session: AsyncSession, tamper: str, walk_mode: str
) -> None:
    stored = await service.append(session, "actions", _events(20))
    at = stored.head_seq - 7
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(text(tamper), {"s": at})
    checked, broken = await _reference_verify(session)
    result = await service.verify(session, signer)
    assert broken is not None
    assert result.first_broken is not None
    assert (result.events_checked, result.first_broken.seq) == (checked, broken.seq)
    assert result.first_broken.reason == broken.reason
    assert result.first_broken.expected_hash == broken.expected_hash
    assert result.first_broken.stored_hash == broken.stored_hash
    assert result.first_broken.event_id == broken.event_id


@pytest.mark.parametrize("when", ["infinity", "-infinity"])
async def test_an_infinite_time_is_a_broken_link_on_both_paths(
    session: AsyncSession, when: str
) -> None:
    """asyncpg reads ±infinity as a naive datetime.max/min. Only tampering puts one there
    (the ingest refuses such a time): verify names the link, never fails with a ValueError
    (as it did for ``-infinity``); the COPY path hands the row to the reference path."""
    stored = await service.append(session, "actions", _events(3))
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    await session.execute(
        text(f"UPDATE audit.trail_event SET occurred_at = '{when}' WHERE seq = :s"),
        {"s": stored.head_seq - 1},
    )
    reference: Any = await _reference_verify(session)
    result = await service.verify(session, signer)
    assert result.first_broken is not None
    assert result.first_broken.seq == stored.head_seq - 1
    assert (result.events_checked, result.first_broken.seq) == (
        reference[0],
        reference[1].seq,
    )
    assert result.first_broken.expected_hash == reference[1].expected_hash


async def test_a_null_in_a_not_null_column_gets_the_reference_answer(
    session: AsyncSession, walk_mode: str
) -> None:
    """A superuser may even drop a NOT NULL and rehash: both paths must agree it is valid."""
    await service.append(session, "actions", _events(5))
    await session.execute(text("ALTER TABLE audit.trail_event ALTER source DROP NOT NULL"))
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    head, _ = await repo.head(session)
    await session.execute(
        text("UPDATE audit.trail_event SET source = NULL WHERE seq = :s"), {"s": head}
    )
    row = (await repo.events_from(session, head - 1, 1))[0]
    prev = await repo.hash_at(session, head - 1)
    from services.audit.trail.chain import link

    await session.execute(
        text("UPDATE audit.trail_event SET hash = :h WHERE seq = :s"),
        {"h": link(prev or "", row), "s": head},
    )
    checked, broken = await _reference_verify(session)
    result = await service.verify(session, signer)
    assert broken is None
    assert result.valid
    assert result.events_checked == checked
    assert uuid.UUID(str(row["event_id"]))
