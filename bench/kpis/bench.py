"""KPI service benchmark: 40 indicators × 36 months × 300 org units (432,000 values).

Run: ``.venv/bin/python -m bench.kpis.bench`` (needs nothing running: it uses
``TEST_DATABASE_URL`` if set, else starts a throwaway embedded PostgreSQL).

Each figure is printed beside a baseline measured in the same run:
- loading: asyncpg ``copy_records_to_table`` of the 432,000 values (the floor for any writer);
- a 10,000-row submission end to end (HTTP through the ASGI app: JSON parsing, validation,
  rules, revisions, outbox, commit) against a plain COPY of the same 10,000 rows;
- dashboard and drill-down p95 (warm, 300 requests each, sequential) against ``/healthz``
  through the same in-process ASGI transport.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from services.kpis.config import KpisSettings
from services.kpis.main import create_app
from services.kpis.periods import Period
from shared.bootstrap import plain_url
from tests.support.apps import client_for
from tests.support.database import ThrowawayDatabase, fresh_database, server_url
from tests.support.tokens import auth_header, caller, internal_keys

INDICATORS, MONTHS, UNITS = 40, 36, 300
FIRST = (2017, 4)
ANALYST = caller("council", ("plan_manager",), subject="bench-analyst")
READER = caller("police", (), ("kpis:read",), kind="client")
VALUE_COLUMNS = [
    "indicator_id",
    "org_unit_id",
    "period_type",
    "period_start",
    "period_end",
    "revision",
    "is_current",
    "state",
    "value",
    "numerator",
    "denominator",
    "source",
    "source_agency",
    "created_by",
    "approved_by",
    "approved_at",
]


def months(n: int, start: tuple[int, int] = FIRST) -> list[Period]:
    y, m = start
    out = []
    for _ in range(n):
        out.append(Period.month(y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


async def build(conn: asyncpg.Connection) -> tuple[list[int], list[int], list[int]]:
    """The org tree (1 + 4 + 20 + 275 = 300 units) and 40 monthly indicators."""
    await conn.execute("TRUNCATE kpis.org_unit, kpis.indicator CASCADE")
    auth = await conn.fetchval(
        "INSERT INTO kpis.org_unit (code, level) VALUES ('WIRRAL', 'authority') "
        "RETURNING org_unit_id"
    )
    units, teams, localities = [auth], [], []
    for s in range(4):
        sid = await conn.fetchval(
            "INSERT INTO kpis.org_unit (code, level, parent_id) VALUES ($1, 'service', $2) "
            "RETURNING org_unit_id",
            f"S{s}",
            auth,
        )
        units.append(sid)
        for loc in range(5):
            lid = await conn.fetchval(
                "INSERT INTO kpis.org_unit (code, level, parent_id) VALUES ($1, 'locality', $2) "
                "RETURNING org_unit_id",
                f"S{s}-L{loc}",
                sid,
            )
            units.append(lid)
            localities.append(lid)
    for t in range(UNITS - len(units)):
        tid = await conn.fetchval(
            "INSERT INTO kpis.org_unit (code, level, parent_id) VALUES ($1, 'team', $2) "
            "RETURNING org_unit_id",
            f"T{t:03d}",
            localities[t % len(localities)],
        )
        units.append(tid)
        teams.append(tid)
    indicators = []
    for i in range(INDICATORS):
        unit = "percentage" if i % 2 else "count"
        iid = await conn.fetchval(
            "INSERT INTO kpis.indicator (code, version, is_current, name, themes, unit, polarity, "
            "frequency, kind, source_agency, definition) VALUES ($1, 1, true, $2, $3, $4, "
            "'higher', 'monthly', 'flow', 'council', 'bench') RETURNING indicator_id",
            f"B{i:02d}",
            f"Bench indicator {i}",
            [i % 5 + 1],
            unit,
        )
        indicators.append(iid)
    return indicators, units, teams


def value_records(
    indicators: list[int], units: list[int], periods: list[Period]
) -> list[tuple[Any, ...]]:
    rnd = random.Random(5)
    now = datetime.now(UTC)
    rows = []
    for n, iid in enumerate(indicators):
        for p in periods:
            for u in units:
                num: int | None
                den: int | None
                if n % 2:
                    den = rnd.randint(20, 200)
                    num = rnd.randint(0, den)
                    value = (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.0001"))
                else:
                    num = den = None
                    value = Decimal(rnd.randint(0, 500))
                rows.append(
                    (
                        iid,
                        u,
                        "month",
                        p.start,
                        p.end,
                        1,
                        True,
                        "approved",
                        value,
                        num,
                        den,
                        "council",
                        "council",
                        "bench",
                        "bench-approver",
                        now,
                    )
                )
    return rows


async def timed(fn: Callable[[], Awaitable[Any]]) -> float:
    t = time.perf_counter()
    await fn()
    return time.perf_counter() - t


async def p95(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], n: int = 300
) -> tuple[float, float]:
    """(p95 wall ms, p95 CPU ms of this process) over ``n`` sequential warm requests."""
    headers = auth_header(READER, "kpis")
    for _ in range(20):  # warm up
        r = await client.get(url, params=params, headers=headers)
        assert r.status_code == 200, r.text
    walls, cpus = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        await client.get(url, params=params, headers=headers)
        walls.append((time.perf_counter() - t) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return statistics.quantiles(walls, n=20)[18], statistics.quantiles(cpus, n=20)[18]


def main() -> None:
    print(f"load average before the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with server_url() as server:
        db = fresh_database(server, label="bench")
        asyncio.run(run(db))


async def run(db: ThrowawayDatabase) -> None:
    if True:
        admin = await asyncpg.connect(plain_url(db.admin_url))
        indicators, units, teams = await build(admin)
        history = months(MONTHS)
        records = value_records(indicators, units, history)
        load = await timed(
            lambda: admin.copy_records_to_table(
                "indicator_value", schema_name="kpis", columns=VALUE_COLUMNS, records=records
            )
        )
        await admin.execute(
            "INSERT INTO kpis.value_period (indicator_id, period_type, period_start, period_end, "
            "state, version, approved_by, approved_at) SELECT DISTINCT indicator_id, period_type, "
            "period_start, period_end, 'approved', 1, 'bench-approver', now() "
            "FROM kpis.indicator_value"
        )
        await admin.execute("ANALYZE")
        print(
            f"loaded {len(records):,} values with COPY in {load:.2f} s "
            f"({len(records) / load:,.0f} rows/s)"
        )

        settings = KpisSettings(
            profile="test",
            database_url=SecretStr(db.service_url("kpis")),
            internal_jwt_public_key=SecretStr(internal_keys()[1]),
            log_level="WARNING",
        )
        app = create_app(settings)
        extra = months(6, (2020, 4))  # complete months after the loaded history
        rows_per_batch = [(f"B{i:02d}", f"T{t:03d}") for i in range(INDICATORS) for t in range(250)]
        assert len(rows_per_batch) == 10_000
        results: list[float] = []
        cpus: list[float] = []
        async with app.router.lifespan_context(app), client_for(app) as client:
            headers = auth_header(ANALYST, "kpis")

            def body(period: Period, bump: int = 0) -> dict[str, Any]:
                rows = []
                for code, team in rows_per_batch:
                    if int(code[1:]) % 2:
                        rows.append(
                            {
                                "indicator": code,
                                "period": period.label,
                                "org_unit": team,
                                "numerator": 10 + bump,
                                "denominator": 40,
                            }
                        )
                    else:
                        rows.append(
                            {
                                "indicator": code,
                                "period": period.label,
                                "org_unit": team,
                                "value": 7 + bump,
                            }
                        )
                return {"rows": rows}

            for period in extra[:3]:
                payload = body(period)
                profiler = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
                if profiler:
                    profiler.enable()
                t, cpu = time.perf_counter(), time.process_time()
                r = await client.post("/v1/submissions", json=payload, headers=headers)
                results.append(time.perf_counter() - t)
                cpus.append(time.process_time() - cpu)
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(
                        "services/kpis|shared|pydantic|encoders|httpx", 40
                    )
                assert r.status_code == 201, r.text[:500]
                assert r.json()["accepted"] == 10_000
            t = time.perf_counter()
            keyed = headers | {"Idempotency-Key": "bench-batch-1"}
            r = await client.post("/v1/submissions", json=body(extra[3]), headers=keyed)
            with_key = time.perf_counter() - t
            assert r.status_code == 201, r.text[:500]
            t = time.perf_counter()
            r = await client.post("/v1/submissions", json=body(extra[0]), headers=headers)
            unchanged = time.perf_counter() - t
            assert r.json()["unchanged"] == 10_000
            t = time.perf_counter()
            r = await client.post("/v1/submissions", json=body(extra[0], 1), headers=headers)
            revised = time.perf_counter() - t
            assert r.json()["accepted"] == 10_000
            # baseline: COPY of the same 10,000 rows into the same table, rolled back
            ids = {f"B{i:02d}": iid for i, iid in enumerate(indicators)}
            team_ids = {f"T{t:03d}": tid for t, tid in enumerate(teams)}
            p = extra[5]
            copy_rows = [
                (
                    ids[c],
                    team_ids[u],
                    "month",
                    p.start,
                    p.end,
                    1,
                    True,
                    "draft",
                    Decimal(7),
                    None,
                    None,
                    "council",
                    "council",
                    "bench",
                    None,
                    None,
                )
                for c, u in rows_per_batch
            ]
            tx = admin.transaction()
            await tx.start()
            copy10k = await timed(
                lambda: admin.copy_records_to_table(
                    "indicator_value", schema_name="kpis", columns=VALUE_COLUMNS, records=copy_rows
                )
            )
            await tx.rollback()

            latest = history[-1].label
            health = await p95(client, "/healthz", {})
            dash = await p95(client, "/v1/dashboard", {"org_unit": "WIRRAL", "theme": 1})
            dash_all = await p95(client, "/v1/dashboard", {"org_unit": "WIRRAL"})
            drill = await p95(
                client,
                "/v1/dashboard/drill-down",
                {"indicator": "B01", "period": latest, "org_unit": "WIRRAL"},
            )
            drill_loc = await p95(
                client,
                "/v1/dashboard/drill-down",
                {"indicator": "B01", "period": latest, "org_unit": "S0-L0"},
            )
            series = await p95(client, "/v1/series", {"indicator": "B01", "org_unit": "S0-L0"})
        await admin.close()

    median = statistics.median(results)
    print(
        f"10,000-row submission end to end (new values), median of 3: {median:.2f} s "
        f"(goal < 5 s); runs {', '.join(f'{x:.2f}' for x in results)}"
    )
    print(
        f"  CPU of the bench process (app + in-process client) per submission, median: "
        f"{statistics.median(cpus):.2f} s; the rest of the wall time is PostgreSQL or waiting"
    )
    print(
        f"  baseline COPY of the same 10,000 rows: {copy10k * 1000:.0f} ms "
        f"-> submission / COPY = {median / copy10k:.1f}x"
    )
    print(f"  same with an Idempotency-Key (answer stored): {with_key:.2f} s")
    print(
        f"  resubmission, all unchanged: {unchanged:.2f} s; all changed (revision 2): "
        f"{revised:.2f} s"
    )
    print(
        f"p95 warm, 300 sequential requests; baseline /healthz through the same ASGI transport: "
        f"{health[0]:.2f} ms wall, {health[1]:.2f} ms CPU"
    )
    for name, value in (
        ("dashboard theme 1 (authority)", dash),
        ("dashboard all themes (authority)", dash_all),
        ("drill-down authority -> 4 services (roll-up)", drill),
        ("drill-down locality -> ~14 teams", drill_loc),
        ("series 36 months + roll-up (locality)", series),
    ):
        print(
            f"  {name}: {value[0]:.2f} ms wall ({value[0] / health[0]:.1f}x baseline), "
            f"{value[1]:.2f} ms CPU ({value[1] / health[1]:.1f}x); goal < 50 ms"
        )


if __name__ == "__main__":
    os.environ.setdefault("KPIS_LOG_LEVEL", "WARNING")
    main()
