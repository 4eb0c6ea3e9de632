"""Benchmark: case-management imports against a plain COPY of the same rows, same run.

    .venv/bin/python bench/imports/bench_imports.py [--rows 1000000] [--xlsx-rows 100000] \\
        [--repeat 3] [--no-http]

Starts a throwaway PostgreSQL (``TEST_DATABASE_URL`` if set, else the embedded server, as
the test suite does), bootstraps it, generates a synthetic referrals list (CSV) and the
matching assessments, then measures:

1. baseline: asyncpg ``COPY`` of both CSV files, as they are, into unindexed text tables;
2. the whole import (read, normalise, validate, pseudonymise, working days, ``COPY`` into
   the child-level store, re-referral flags, every indicator for every month, team and
   worker, the values stored) — the job as the service runs it, from the file on disk;
3. the same through HTTP (multipart upload streamed to disk, then the job);
4. peak memory of the import for a quarter, a half, all, twice and four times the rows,
   each size in a new process (so no size starts from an allocator an earlier one warmed
   up): flat in the file's size once the pipeline holds its full number of blocks and the
   allocator its second of freed pages (services/kpis/imports/allocator.py);
5. a generated Annex A workbook (xlsx) end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.kpis.imports import generator, router, service
from services.kpis.imports.allocator import ENV as ALLOCATOR_ENV
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.pipeline import Upload
from shared.app import settle_heap
from shared.bootstrap import plain_url
from shared.db import create_sessionmaker
from shared.identity import Caller
from tests.support.database import ThrowawayDatabase, fresh_database, server_url

IMPORTER = Caller(subject="bench", agency="council", roles=frozenset({"plan_manager"}))
KEY = SecretStr("bench-pseudonymisation-key-0123456789abcdef")


class PeakRss:
    """Samples this process's resident memory every 20 ms in a thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.process.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def grew_mb(self) -> float:
        return (self.peak - self.start) / 1e6


async def copy_baseline(admin_url: str, files: list[Path]) -> tuple[int, float]:
    conn = await asyncpg.connect(plain_url(admin_url))
    rows = 0
    try:
        elapsed = 0.0
        for n, path in enumerate(files):
            header = path.open().readline().strip().split(",")
            cols = ", ".join(f"c{i} text" for i in range(len(header)))
            await conn.execute(f"DROP TABLE IF EXISTS public.bench_copy_{n}")
            await conn.execute(f"CREATE TABLE public.bench_copy_{n} ({cols})")
            t0 = time.perf_counter()
            result = await conn.copy_to_table(
                f"bench_copy_{n}", source=path, schema_name="public", format="csv", header=True
            )
            elapsed += time.perf_counter() - t0
            rows += int(result.split()[-1])
            await conn.execute(f"DROP TABLE public.bench_copy_{n}")
    finally:
        await conn.close()
    return rows, elapsed


async def seed_catalogue(kpis_url: str) -> str:
    """The KPI catalogue and org units (the values domain refuses unknown codes)."""
    try:
        from services.kpis.seed import seed  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from services.kpis.imports import intake

        async def count_only(session: Any, *, values: Any, import_id: str, actor: Any) -> int:
            return len(values)

        intake.RECORDER = count_only
        return "values domain absent: hand-over replaced by a counter"
    engine = create_async_engine(kpis_url, pool_size=1)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed(session)
            await session.commit()
    finally:
        await engine.dispose()
    return "values recorded as drafts by services.kpis.values.intake"


async def run_import(
    kpis_url: str, files: list[Path], kind: str, settings: ImportSettings
) -> tuple[dict[str, Any], float, float]:
    engine = create_async_engine(kpis_url, pool_size=2)
    maker = create_sessionmaker(engine)
    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    uploads = []
    for n, path in enumerate(files):
        target = work / f"{n:02d}.upload"
        shutil.copyfile(path, target)
        uploads.append(Upload(target, path.name))
    try:
        async with maker() as session:
            sha = uuid.uuid4().hex  # a new "file" each run: no duplicate detection
            job, _ = await service.open_job(
                session, IMPORTER, service.NewJob(kind, False, None, 300_000), sha
            )
            await session.commit()
        with PeakRss() as memory:
            t0 = time.perf_counter()
            await service.execute(maker, job.id, uploads, settings, IMPORTER)
            elapsed = time.perf_counter() - t0
        async with maker() as session:
            done = await session.get(type(job), job.id)
            assert done is not None
            summary = {
                "status": done.status,
                "rows_stored": done.rows_stored,
                "values": done.values_count,
                "errors": done.error_count,
                "first_errors": [e["reason"] for e in done.report.get("errors", [])[:3]],
                "timings_s": done.report.get("timings_s"),
            }
    finally:
        await engine.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return summary, elapsed, memory.grew_mb


async def run_http(kpis_url: str, files: list[Path], settings: ImportSettings) -> float:
    import httpx

    from services.kpis.config import KpisSettings
    from services.kpis.imports.router import router
    from services.kpis.main import create_app
    from shared.identity import InternalTokenVerifier
    from tests.support.tokens import ISSUER, auth_header, internal_keys

    app = create_app(KpisSettings(profile="test"))
    app.include_router(router)
    engine = create_async_engine(kpis_url, pool_size=2)
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="kpis")
    app.state.import_settings = settings
    transport = httpx.ASGITransport(app=app)
    headers = auth_header(IMPORTER, "kpis")
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", timeout=600
        ) as http:
            t0 = time.perf_counter()
            with files[0].open("rb") as f0, files[1].open("rb") as f1:
                response = await http.post(
                    "/v1/imports",
                    data={"kind": "annex_a", "population": "300000"},
                    files=[("files", (files[0].name, f0)), ("files", (files[1].name, f1))],
                    headers=headers,
                )
            fresh = auth_header(IMPORTER, "kpis")  # internal tokens live 60 s
            job = (await http.get(response.headers["Location"], headers=fresh)).json()
            elapsed = time.perf_counter() - t0
            assert job["status"] == "succeeded", job["report"]["errors"][:3]
    finally:
        await engine.dispose()
    return elapsed


def bench_settings(tmp: Path) -> ImportSettings:
    return ImportSettings(
        profile="test",
        pseudonymisation_key=KEY,
        upload_dir=tmp / "uploads",
        keep_raw_uploads=False,
        authority_code="WIRRAL",
    )


def probe(server: str, files: list[Path]) -> dict[str, Any]:
    """One import of ``files`` in a new Python process (same server, a fresh database)."""
    env = {**os.environ, "TEST_DATABASE_URL": server}
    done = subprocess.run(
        [sys.executable, __file__, "--probe", *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def probe_async(server: str, files: list[Path]) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-probe-"))
    settings = bench_settings(tmp)
    router.bank_holidays()
    stores = Stores(server)
    try:
        _, kpis_url = await stores.fresh()
        summary, seconds, grew = await run_import(kpis_url, files, "annex_a", settings)
        assert summary["status"] == "succeeded", summary
    finally:
        await stores.drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"seconds": seconds, "grew_mb": grew, "rows_stored": summary["rows_stored"]}


def line(label: str, rows: int, seconds: float, baseline: float) -> str:
    rate = rows / seconds
    return f"| {label} | {rows:,} | {seconds:.2f} s | {rate:,.0f} | {rate / baseline:.2f} |"


class Stores:
    """A new, seeded database for each run, dropped after it: every import starts from an
    empty child-level store (earlier runs' rows would otherwise slow the later ones: the
    indicator queries scan the store, and its BRIN ranges are not summarized yet)."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.current: ThrowawayDatabase | None = None

    async def fresh(self) -> tuple[str, str]:
        await self.drop()
        self.current = await asyncio.to_thread(fresh_database, self.server, "bench")
        kpis_url = self.current.service_url("kpis")
        await seed_catalogue(kpis_url)
        settle_heap()  # as the service does once it has started
        return self.current.admin_url, kpis_url

    async def drop(self) -> None:
        if self.current is None:
            return
        name = self.current.admin_url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(
            plain_url(self.current.admin_url.rsplit("/", 1)[0] + "/postgres")
        )
        try:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.current = None


async def main_async(args: argparse.Namespace, server: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    settings = bench_settings(tmp)
    stores = Stores(server)
    assert router.bank_holidays()  # loaded when the service starts, as in production
    try:
        t0 = time.perf_counter()
        files = generator.write_csvs(generator.Shape(rows=args.rows), tmp / "full")
        print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        # as the kpis service sets it (services/kpis/imports/allocator.py)
        print(f"polars allocator: {ALLOCATOR_ENV}={os.environ.get(ALLOCATOR_ENV)}")

        # COPY and the import alternate, so each ratio compares runs of the same minute
        runs: list[tuple[float, float, float, dict[str, Any]]] = []
        for _ in range(args.repeat):
            admin_url, kpis_url = await stores.fresh()
            copied, copy_s = await copy_baseline(admin_url, files)
            summary, import_s, grew = await run_import(kpis_url, files, "annex_a", settings)
            print(f"full: {import_s:.2f} s (COPY {copy_s:.2f} s) {summary}", file=sys.stderr)
            assert summary["status"] == "succeeded", summary
            runs.append((copy_s, import_s, grew, summary))
        await stores.drop()
        sizes = {"a quarter": args.rows // 4, "half": args.rows // 2, "all": args.rows}
        sizes["twice"] = args.rows * 2
        sizes["four times"] = args.rows * 4
        parts: dict[str, list[dict[str, Any]]] = {}
        for label, size in sizes.items():
            part = files if size == args.rows else None
            if part is None:
                part = generator.write_csvs(generator.Shape(rows=size), tmp / label)
            for _ in range(args.memory_repeat):
                parts.setdefault(label, []).append(probe(server, part))
            if part is not files:
                shutil.rmtree(tmp / label, ignore_errors=True)
        http_s = None
        if not args.no_http:
            _, kpis_url = await stores.fresh()
            http_s = await run_http(kpis_url, files, settings)

        copy_s = statistics.median(r[0] for r in runs)
        import_s = statistics.median(r[1] for r in runs)
        grew = statistics.median(r[2] for r in runs)
        summary = runs[0][3]
        base_rate = copied / copy_s
        print(f"\nrows: {args.rows:,} referrals + {copied - args.rows:,} assessments; {summary}")
        ratios = [r[0] / r[1] for r in runs]
        print(
            f"\nruns: {args.repeat}; ratio of each run to the COPY just before it: median "
            f"{statistics.median(ratios):.3f}, range {min(ratios):.3f}-{max(ratios):.3f} "
            "(the table below: medians of the times)"
        )
        for n, (c_s, i_s, g, sm) in enumerate(runs, 1):
            timings = sm.get("timings_s") or {}
            print(
                f"- run {n}: COPY {c_s:.2f} s, import {i_s:.2f} s, ratio {c_s / i_s:.3f}, "
                f"peak RSS growth {g:.0f} MB, phases {timings}"
            )
        print("\n| what | rows | time | rows/s | ratio to COPY |")
        print("|---|---|---|---|---|")
        print(
            line(
                "baseline: asyncpg COPY of the CSVs into unindexed text tables",
                copied,
                copy_s,
                base_rate,
            )
        )
        print(line("whole import from disk (job)", copied, import_s, base_rate))
        if http_s is not None:
            print(
                line(
                    "whole import through HTTP (multipart upload + job)", copied, http_s, base_rate
                )
            )
        memory = []
        for label, p_runs in parts.items():
            p_rows = p_runs[0]["rows_stored"]
            p_s = statistics.median(r["seconds"] for r in p_runs)
            if label != "all":
                what = {"a quarter": "a quarter of", "half": "half"}.get(label, label)
                print(line(f"whole import, {what} the rows", p_rows, p_s, base_rate))
            grown = ", ".join(f"{r['grew_mb']:.0f}" for r in p_runs)
            memory.append(f"{p_rows:,} rows: {grown} MB")
        print(
            "\npeak RSS growth during the import, each run in a new process "
            f"(per run): {'; '.join(memory)}"
        )
        if args.xlsx_rows:
            book = generator.write_workbook(generator.Shape(rows=args.xlsx_rows), tmp / "a.xlsx")
            _, kpis_url = await stores.fresh()
            x_summary, x_s, x_grew = await run_import(kpis_url, [book], "annex_a", settings)
            assert x_summary["status"] == "succeeded", x_summary
            print(
                f"\nAnnex A workbook, {x_summary['rows_stored']:,} rows (xlsx, "
                f"{book.stat().st_size / 1e6:.1f} MB): {x_s:.2f} s, "
                f"{x_summary['rows_stored'] / x_s:,.0f} rows/s, "
                f"{x_summary['rows_stored'] / x_s / base_rate:.2f} of COPY's rate; "
                f"peak RSS growth {x_grew:.0f} MB; {x_summary['values']:,} values"
            )
    finally:
        await stores.drop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP upload run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of COPY and the import")
    parser.add_argument("--memory-repeat", type=int, default=2, help="runs of each size")
    parser.add_argument("--probe", nargs="+", help=argparse.SUPPRESS)  # one import, in a child
    args = parser.parse_args()
    with server_url() as url:
        if args.probe:
            print(json.dumps(asyncio.run(probe_async(url, [Path(f) for f in args.probe]))))
            return
        asyncio.run(main_async(args, url))


if __name__ == "__main__":
    main()
