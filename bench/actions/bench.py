"""Benchmark the actions service at 50x the seed: filtered list and board summary, warm.

    .venv/bin/python -m bench.actions.bench [--copies 50] [--updates 100000] [--requests 300]

Makes a throwaway database (on ``TEST_DATABASE_URL`` if set, else an embedded PostgreSQL in a
temporary folder), loads the Wirral seed ``--copies`` times as separate plans, adds
``--updates`` progress updates spread over the actions (with the actions' summary columns
brought up to date), starts the service under uvicorn, warms it, then times each request
one at a time over one keep-alive connection (aiohttp) and prints p50/p95 beside two
baselines measured in the same run: ``/healthz`` and a single action read.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from services.actions.plans.loader import load_plan, read_seed
from shared.bootstrap import plain_url
from shared.devtools.embedded import free_port
from shared.devtools.stack import generate_ec_key
from shared.identity import Caller, InternalTokenMinter
from tests.support.database import ThrowawayDatabase, fresh_database, server_url

ROOT = Path(__file__).resolve().parents[2]
ISSUER = "improvement-platform-gateway"
RAGS = ("red", "amber", "green")


async def generate(service_url: str, admin_url: str, copies: int, updates: int) -> int:
    from sqlalchemy.ext.asyncio import create_async_engine

    seed = read_seed()
    engine = create_async_engine(service_url)
    async with engine.begin() as conn:
        for n in range(copies):
            await load_plan(conn, seed, title=f"{seed['plan']['title']} (copy {n + 1})")
    await engine.dispose()

    rng = random.Random(42)
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        actions = await conn.fetch("SELECT action_id, start_on FROM actions.action")
        ids = [r["action_id"] for r in actions]
        start = min(r["start_on"] for r in actions)
        now = datetime.now(UTC)
        records = []
        for i in range(updates):
            action_id = ids[i % len(ids)] if i < len(ids) else rng.choice(ids)
            day = start + timedelta(days=rng.randint(0, 700))
            records.append(
                (
                    action_id,
                    None,
                    f"user-{rng.randint(1, 400)}",
                    rng.choice(("council", "council", "probation", "police", "ccg")),
                    day,
                    f"Progress note {i}: work continues as planned.",
                    rng.randint(0, 100),
                    rng.choice(RAGS),
                    [f"minutes-{i}"] if rng.random() < 0.3 else [],
                    now - timedelta(days=rng.randint(0, 400), seconds=i),
                )
            )
        await conn.copy_records_to_table(
            "progress_update",
            schema_name="actions",
            records=records,
            columns=[
                "action_id",
                "step_id",
                "author",
                "agency",
                "update_date",
                "narrative",
                "percent_complete",
                "declared_rag",
                "evidence",
                "created_at",
            ],
        )
        # bring each action's summary up to date from its latest update; vary the statuses
        await conn.execute(
            """
            UPDATE actions.action a SET
              percent_complete = u.percent_complete, declared_rag = u.declared_rag,
              last_update_at = u.created_at, updated_at = u.created_at,
              has_evidence = u.any_evidence,
              status = (ARRAY['in_progress','in_progress','completed','blocked','deferred',
                              'embedded','not_started'])[1 + (a.action_id % 7)],
              completed_at = CASE WHEN a.action_id % 7 IN (2, 5) THEN u.created_at END
            FROM (
              SELECT DISTINCT ON (action_id) action_id, percent_complete, declared_rag,
                     created_at,
                     bool_or(cardinality(evidence) > 0)
                       OVER (PARTITION BY action_id) AS any_evidence
              FROM actions.progress_update ORDER BY action_id, created_at DESC
            ) u WHERE u.action_id = a.action_id
            """
        )
        await conn.execute("VACUUM ANALYZE")  # as autovacuum would after the bulk load
        return len(ids)
    finally:
        await conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


async def measure(base: str, minter: InternalTokenMinter, cases: dict[str, str], n: int) -> dict:
    who = Caller(subject="bench", agency="council", roles=frozenset({"viewer"}))
    results: dict[str, dict[str, float]] = {}
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(base, connector=connector) as http:
        for name, path in cases.items():
            headers = {"Authorization": f"Bearer {minter.mint(who, 'actions')}"}
            for _ in range(20):  # warm: plans cached, connections pooled
                async with http.get(path, headers=headers) as r:
                    await r.read()
                    assert r.status == 200, (path, r.status, await r.text())
            times = []
            for i in range(n):
                if i % 100 == 0:
                    headers = {"Authorization": f"Bearer {minter.mint(who, 'actions')}"}
                t0 = time.perf_counter()
                async with http.get(path, headers=headers) as r:
                    await r.read()
                times.append((time.perf_counter() - t0) * 1000)
            results[name] = {
                "p50": statistics.median(times),
                "p95": percentile(times, 95),
                "max": max(times),
            }
    return results


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the service exited")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the service did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=50)
    parser.add_argument("--updates", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database (and print it)")
    parser.add_argument("--reuse", help="admin URL of a database kept by --keep: skip loading")
    args = parser.parse_args()

    with server_url() as server:
        if args.reuse:
            db = ThrowawayDatabase(admin_url=args.reuse)
            args.keep = True
        else:
            db = fresh_database(server, label="bench")
            t0 = time.perf_counter()
            n_actions = asyncio.run(
                generate(db.service_url("actions"), db.admin_url, args.copies, args.updates)
            )
            print(
                f"generated {n_actions} actions, {args.updates} updates "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        private, public = generate_ec_key()
        minter = InternalTokenMinter(private, kid="bench", issuer=ISSUER)
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ACTIONS_PROFILE": "test",
            "ACTIONS_DATABASE_URL": db.service_url("actions"),
            "ACTIONS_INTERNAL_JWT_PUBLIC_KEY": public,
            "ACTIONS_LOG_LEVEL": "WARNING",
            "ACTIONS_LOG_JSON": "true",
            "ACTIONS_REMINDERS_INTERVAL_S": "0",
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "services.actions.main:app_factory",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, proc)
            one = asyncio.run(_first_action(db.admin_url))
            today = date.today().isoformat()
            cases = {
                "baseline /healthz": "/healthz",
                "baseline one row (GET /v1/plans/{id})": "/v1/plans/1",
                "baseline one action (GET /v1/actions/{id})": f"/v1/actions/{one}",
                "list: agency+status+overdue, sort -due_on": (
                    "/v1/actions?agency=probation&status=in_progress&status=blocked"
                    "&overdue=true&sort=-due_on&limit=50"
                ),
                "list: theme+computed_rag+due_before": (
                    f"/v1/actions?theme=4&computed_rag=red&due_before={today}&limit=50"
                ),
                "list: free text q=audit, page 3": "/v1/actions?q=audit&limit=50&offset=100",
                "list: one plan, default sort": "/v1/actions?plan_id=7&limit=50",
                "board summary, all 50 plans": "/v1/board-summary",
                "board summary, one plan": "/v1/board-summary?plan_id=7",
                "board summary CSV, all plans": "/v1/board-summary?format=csv",
            }
            results = asyncio.run(measure(base, minter, cases, args.requests))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if args.keep:
                print("kept", db.admin_url)
            else:
                asyncio.run(_drop(server, db.admin_url))
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    base_p50 = results["baseline /healthz"]["p50"]
    print(f"\n{'request':52} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50/healthz':>12}")
    for name, r in results.items():
        print(
            f"{name:52} {r['p50']:8.2f} {r['p95']:8.2f} {r['max']:8.2f} {r['p50'] / base_p50:12.1f}"
        )


async def _drop(server: str, admin_url: str) -> None:
    name = admin_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(plain_url(server.rsplit("/", 1)[0] + "/postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _first_action(admin_url: str) -> int:
    conn = await asyncpg.connect(plain_url(admin_url))
    try:
        return int(await conn.fetchval("SELECT min(action_id) FROM actions.action"))
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
