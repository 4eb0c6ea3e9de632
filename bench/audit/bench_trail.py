"""Trail benchmark: chained appends with four concurrent producers, and verifying 1,000,000.

Run from the repository root (uses ``TEST_DATABASE_URL`` if set, else a throwaway embedded
PostgreSQL, like the test suite)::

    .venv/bin/python -m bench.audit.bench_trail --seconds 10 --events 1000000

Figures are printed beside baselines measured in the same run on the same database:
appends are compared with plain INSERTs of the same rows (no lock, no hashing, no dedup
check); verification with a plain keyset scan of the same rows (no canonical JSON, no hash).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.audit.config import AuditSettings
from services.audit.trail import repository as repo
from services.audit.trail import service
from services.audit.trail.chain import GENESIS, link
from services.audit.trail.models import TrailEvent
from services.audit.trail.schemas import EventIn
from services.audit.trail.signing import CheckpointSigner
from shared.db import create_sessionmaker
from shared.logs import configure_logging
from tests.support.database import fresh_database, server_url

PRODUCERS = 4
SETTINGS = AuditSettings(profile="test")
ACTOR = {"subject": "jo", "agency": "council", "roles": ["contributor"], "kind": "user"}


def make_event(i: int) -> EventIn:
    return EventIn(
        event_id=uuid.uuid4(),
        event_type="action.updated",
        entity_type="action",
        entity_id=f"5A{i % 97}",
        occurred_at=datetime.now(UTC),
        actor=ACTOR,
        request_id=uuid.uuid4().hex,
        purpose=None,
        payload={
            "status": "on_track",
            "n": i,
            "digest": hashlib.sha256(str(i).encode()).hexdigest(),
        },
    )


async def chained_appends(engine: AsyncEngine, seconds: float, batch: int) -> int:
    maker = create_sessionmaker(engine)
    signer = CheckpointSigner.from_settings(SETTINGS)
    deadline = time.perf_counter() + seconds
    counts = [0] * PRODUCERS

    async def producer(k: int) -> None:
        source = ("actions", "kpis", "gateway", "audit")[k]
        while time.perf_counter() < deadline:
            async with maker() as session:
                events = [make_event(counts[k] + j) for j in range(batch)]
                await service.append(session, source, events, signer=signer)
                await session.commit()
            counts[k] += batch

    await asyncio.gather(*(producer(k) for k in range(PRODUCERS)))
    return sum(counts)


async def plain_inserts(engine: AsyncEngine, seconds: float, batch: int, start_seq: int) -> int:
    """Baseline: the same rows, plain INSERT, seq from a shared counter, a fixed hash."""
    maker = create_sessionmaker(engine)
    deadline = time.perf_counter() + seconds
    counts = [0] * PRODUCERS
    next_seq = [start_seq]

    async def producer(k: int) -> None:
        while time.perf_counter() < deadline:
            rows = []
            for j in range(batch):
                e = make_event(counts[k] + j)
                next_seq[0] += 1
                rows.append(
                    {
                        **e.model_dump(),
                        "seq": next_seq[0],
                        "source": "bench",
                        "recorded_at": datetime.now(UTC),
                        "hash": "f" * 64,
                    }
                )
            async with maker() as session:
                await session.execute(insert(TrailEvent), rows)
                await session.commit()
            counts[k] += batch

    await asyncio.gather(*(producer(k) for k in range(PRODUCERS)))
    return sum(counts)


COLUMNS = [c.name for c in TrailEvent.__table__.columns]


async def load_chain(admin_url: str, n: int, chunk: int = 50_000) -> float:
    """Write ``n`` correctly chained events with COPY (as the owner); returns seconds spent."""
    began = time.perf_counter()
    conn = await asyncpg.connect(admin_url)
    try:
        prev = GENESIS
        now = datetime.now(UTC)
        seq = 0
        while seq < n:
            records = []
            for _ in range(min(chunk, n - seq)):
                seq += 1
                e = make_event(seq)
                row: dict[str, Any] = {
                    **e.model_dump(),
                    "seq": seq,
                    "source": "bench",
                    "recorded_at": now,
                }
                row["hash"] = prev = link(prev, row)
                row["actor"] = json.dumps(row["actor"])
                row["payload"] = json.dumps(row["payload"])
                records.append(tuple(row[c] for c in COLUMNS))
            await conn.copy_records_to_table(
                "trail_event", schema_name="audit", columns=COLUMNS, records=records
            )
        await conn.execute("ANALYZE audit.trail_event")
    finally:
        await conn.close()
    return time.perf_counter() - began


async def timed_verify(engine: AsyncEngine) -> tuple[float, int, bool]:
    signer = CheckpointSigner.from_settings(SETTINGS)
    began = time.perf_counter()
    async with create_sessionmaker(engine)() as session:
        result = await service.verify(session, signer)
    return time.perf_counter() - began, result.events_checked, result.valid


async def timed_scan(engine: AsyncEngine) -> tuple[float, int]:
    began = time.perf_counter()
    n = 0
    async with create_sessionmaker(engine)() as session:
        async for _row in repo.walk(session):
            n += 1
    return time.perf_counter() - began, n


async def bench(server: str, seconds: float, events: int) -> None:
    print(f"producers={PRODUCERS} seconds={seconds} verify_events={events}")
    for batch in (1, 50):
        # the chain and the baseline each on a database of their own, same server
        chain_db = await asyncio.to_thread(fresh_database, server, "benchc")
        plain_db = await asyncio.to_thread(fresh_database, server, "benchp")
        chain_engine = create_async_engine(chain_db.service_url("audit"), pool_size=PRODUCERS + 2)
        plain_engine = create_async_engine(plain_db.service_url("audit"), pool_size=PRODUCERS + 2)
        try:
            chained = await chained_appends(chain_engine, seconds, batch)
            plain = await plain_inserts(plain_engine, seconds, batch, start_seq=0)
            async with create_sessionmaker(chain_engine)() as s:
                check = await service.verify(s, CheckpointSigner.from_settings(SETTINGS))
        finally:
            await chain_engine.dispose()
            await plain_engine.dispose()
        print(
            f"appends batch={batch:>3}: chained {chained / seconds:9.0f} ev/s | "
            f"plain insert {plain / seconds:9.0f} ev/s | ratio {chained / plain:.2f} | "
            f"chain valid={check.valid} events={check.events_checked}"
        )
    # verification on a database of its own holding exactly the chain
    db = await asyncio.to_thread(fresh_database, server, "benchv")
    load_s = await load_chain(db.admin_url, events)
    print(f"loaded {events} chained events in {load_s:.1f} s ({events / load_s:.0f} ev/s, COPY)")
    engine = create_async_engine(db.service_url("audit"))
    try:
        scan_s, scanned = await timed_scan(engine)
        verify_s, checked, valid = await timed_verify(engine)
    finally:
        await engine.dispose()
    if not (valid and checked == events == scanned):
        raise SystemExit(f"verification failed: {valid=} {checked=} {scanned=}")
    print(
        f"verify {checked} events: {verify_s:.1f} s ({checked / verify_s:.0f} ev/s) | "
        f"plain scan {scan_s:.1f} s ({scanned / scan_s:.0f} ev/s) | ratio {verify_s / scan_s:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    configure_logging("WARNING", json=True, service="bench")
    with server_url() as server:
        asyncio.run(bench(server, args.seconds, args.events))


if __name__ == "__main__":
    main()
