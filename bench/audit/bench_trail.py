"""Trail benchmark: chained appends with four concurrent producers, and verifying 1,000,000.

Run from the repository root (uses ``TEST_DATABASE_URL`` if set, else a throwaway embedded
PostgreSQL, like the test suite)::

    .venv/bin/python -m bench.audit.bench_trail --seconds 10 --events 1000000

Figures are printed beside baselines measured in the same run on the same database:
appends are compared with plain INSERTs of the same rows (no lock, no hashing, no dedup
check); verification with a bare ``COPY … TO STDOUT`` of the same columns whose output is
thrown away (the floor of reading the chain), and, with ``--scan``, the old keyset scan
through SQLAlchemy rows. Each figure is the median of ``--runs`` runs, chain and baseline
alternating, with the machine's load average printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
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
from services.audit.trail.copytext import COLUMNS as COPY_COLUMNS
from services.audit.trail.ingest import IngestGroups
from services.audit.trail.models import TrailEvent
from services.audit.trail.schemas import EventCreate
from services.audit.trail.signing import CheckpointSigner
from shared.db import create_sessionmaker
from shared.logs import configure_logging
from tests.support.database import fresh_database, server_url

PRODUCERS = 4
SETTINGS = AuditSettings(profile="test")
ACTOR = {"subject": "jo", "agency": "council", "roles": ["contributor"], "kind": "user"}


def make_event(i: int) -> EventCreate:
    return EventCreate(
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
    """Each producer its own transaction through ``service.append`` (no group commit)."""
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


async def grouped_appends(engine: AsyncEngine, seconds: float, batch: int) -> int:
    """As the ingest endpoint appends: through ``IngestGroups`` (group commit)."""
    maker = create_sessionmaker(engine)
    groups = IngestGroups(
        signer=CheckpointSigner.from_settings(SETTINGS),
        checkpoint_every=100,
        anchor=None,
        max_events=SETTINGS.trail_ingest_max_batch,
    )
    deadline = time.perf_counter() + seconds
    counts = [0] * PRODUCERS

    async def producer(k: int) -> None:
        source = ("actions", "kpis", "gateway", "audit")[k]
        while time.perf_counter() < deadline:
            events = [make_event(counts[k] + j) for j in range(batch)]
            await groups.append(maker, source, events)
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


async def timed_verify(engine: AsyncEngine, workers: int | None) -> tuple[float, int, bool]:
    signer = CheckpointSigner.from_settings(SETTINGS)
    began = time.perf_counter()
    async with create_sessionmaker(engine)() as session:
        result = await service.verify(session, signer, workers=workers)
    return time.perf_counter() - began, result.events_checked, result.valid


async def timed_scan(engine: AsyncEngine) -> tuple[float, int]:
    began = time.perf_counter()
    n = 0
    async with create_sessionmaker(engine)() as session:
        async for _row in repo.walk(session):
            n += 1
    return time.perf_counter() - began, n


async def timed_copy(engine: AsyncEngine) -> tuple[float, int]:
    """The floor: COPY the columns verify reads, in the same chunks, output thrown away."""
    began = time.perf_counter()
    size = [0]

    async def discard(data: bytes) -> None:
        size[0] += data.count(b"\n")

    async with create_sessionmaker(engine)() as session:
        after = 0
        while True:
            before = size[0]
            await repo.copy_chain(
                session, discard, after=after, until=None, limit=service.COPY_CHUNK
            )
            if size[0] - before < service.COPY_CHUNK:
                break
            after += service.COPY_CHUNK
    return time.perf_counter() - began, size[0]


def _cpu() -> float:
    """CPU seconds of this process and its finished worker processes (verify's pool)."""
    me = os.times()
    return me.user + me.system + me.children_user + me.children_system


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def median(values: list[float]) -> float:
    return statistics.median(values)


async def bench(
    server: str, seconds: float, events: int, runs: int, scan: bool, parts: str, workers: int
) -> None:
    print(f"producers={PRODUCERS} seconds={seconds} verify_events={events} runs={runs}")
    print(f"columns read by verify: {', '.join(COPY_COLUMNS)}; verify workers={workers}")
    for batch in (1, 50) if "appends" in parts else ():
        chained_rates: list[float] = []
        plain_rates: list[float] = []
        direct_rates: list[float] = []
        for run in range(runs):
            # the chain and the baseline each on a database of their own, same server
            chain_db = await asyncio.to_thread(fresh_database, server, "benchc")
            plain_db = await asyncio.to_thread(fresh_database, server, "benchp")
            chain_engine = create_async_engine(
                chain_db.service_url("audit"), pool_size=PRODUCERS + 2
            )
            plain_engine = create_async_engine(
                plain_db.service_url("audit"), pool_size=PRODUCERS + 2
            )
            try:
                direct = await chained_appends(chain_engine, seconds, batch)
                chained = await grouped_appends(chain_engine, seconds, batch)
                plain = await plain_inserts(plain_engine, seconds, batch, start_seq=0)
                async with create_sessionmaker(chain_engine)() as s:
                    check = await service.verify(s, CheckpointSigner.from_settings(SETTINGS))
            finally:
                await chain_engine.dispose()
                await plain_engine.dispose()
            if not (check.valid and check.events_checked == chained + direct):
                raise SystemExit(f"chain invalid after appends: {check}")
            chained_rates.append(chained / seconds)
            direct_rates.append(direct / seconds)
            plain_rates.append(plain / seconds)
            print(
                f"  run {run + 1} batch={batch:>3}: chained {chained / seconds:7.0f} ev/s "
                f"(ungrouped {direct / seconds:5.0f}) | plain insert {plain / seconds:7.0f} ev/s"
                f" | ratio {chained / plain:.2f} | load {load()}"
            )
        c, d, p = median(chained_rates), median(direct_rates), median(plain_rates)
        print(
            f"appends batch={batch:>3}: chained {c:9.0f} ev/s (ungrouped {d:.0f}) | "
            f"plain insert {p:9.0f} ev/s | ratio {c / p:.2f} (medians of {runs}) | "
            f"chain valid | load {load()}"
        )
    if "verify" in parts:
        await bench_verify(server, events, runs, scan, workers)


async def bench_verify(server: str, events: int, runs: int, scan: bool, workers: int) -> None:
    """Verify in worker processes, in this process alone, and the bare COPY: same chain."""
    db = await asyncio.to_thread(fresh_database, server, "benchv")
    load_s = await load_chain(db.admin_url, events)
    print(f"loaded {events} chained events in {load_s:.1f} s ({events / load_s:.0f} ev/s, COPY)")
    engine = create_async_engine(db.service_url("audit"))
    verify_times: list[float] = []
    serial_times: list[float] = []
    copy_times: list[float] = []
    try:
        for run in range(runs):
            copy_s, copied = await timed_copy(engine)
            cpu = _cpu()
            verify_s, checked, valid = await timed_verify(engine, workers)
            cpu = _cpu() - cpu
            one = _cpu()
            serial_s, checked_1, valid_1 = await timed_verify(engine, 1)
            one = _cpu() - one
            if not (valid and valid_1 and checked == checked_1 == events == copied):
                raise SystemExit(f"verification failed: {valid=} {checked=} {copied=}")
            verify_times.append(verify_s)
            serial_times.append(serial_s)
            copy_times.append(copy_s)
            print(
                f"  run {run + 1}: verify {verify_s:.1f} s ({workers} workers; client CPU "
                f"{cpu:.1f} s) | in one process {serial_s:.1f} s (CPU {one:.1f} s) | "
                f"bare COPY {copy_s:.1f} s | ratio to COPY {verify_s / copy_s:.2f} | "
                f"load {load()}"
            )
        if scan:
            scan_s, scanned = await timed_scan(engine)
            print(f"  old keyset scan through SQLAlchemy rows: {scan_s:.1f} s ({scanned} rows)")
    finally:
        await engine.dispose()
    v, c, one_s = median(verify_times), median(copy_times), median(serial_times)
    print(
        f"verify {events} events: {v:.1f} s ({events / v:.0f} ev/s; {workers} workers) | "
        f"in one process {one_s:.1f} s | "
        f"bare COPY {c:.1f} s ({events / c:.0f} ev/s) | ratio {v / c:.2f} "
        f"(medians of {runs}) | load {load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scan", action="store_true", help="also time the old keyset scan")
    parser.add_argument("--only", choices=["appends", "verify"], help="one part of the bench")
    parser.add_argument("--workers", type=int, default=2, help="verify's worker processes")
    args = parser.parse_args()
    parts = args.only or "appends verify"
    configure_logging("WARNING", json=True, service="bench")
    with server_url() as server:
        asyncio.run(
            bench(server, args.seconds, args.events, args.runs, args.scan, parts, args.workers)
        )


if __name__ == "__main__":
    main()
