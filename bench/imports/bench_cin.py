"""Benchmark: the CIN census import against a bare ``lxml.etree.iterparse`` of the same file.

    .venv/bin/python bench/imports/bench_cin.py [--children 100000] [--repeat 2] \\
        [--memory-children 25000 100000]

Starts a throwaway PostgreSQL (``TEST_DATABASE_URL`` if set, else the embedded server, as
the test suite does), generates a census of ``--children`` children
(``services/kpis/imports/cin_generator.py``), then measures:

1. baseline: ``lxml.etree.iterparse`` over the file, each ``Child`` cleared once seen
   (the least a streaming reader does);
2. the whole import as the service runs it (read, check, pseudonymise, the duplicate
   check, ``COPY`` into the child-level store, every indicator, the values handed over);
   speed as a ratio to the baseline (goal ≥ 0.3);
3. peak memory growth of the import at each ``--memory-children`` size, each in a new
   process (flat as the file grows is the goal).

Each run also gives the CPU seconds of this process for the iterparse and for the import
(the import's threads included, PostgreSQL's own work not: it is another process) and the
load average: on a shared machine the wall-time ratio moves with the others' load, the CPU
ratio much less.
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
import time
from pathlib import Path
from typing import Any

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_imports as bi

from services.kpis.imports import cin_generator, router
from tests.support.database import server_url

KIND = "cin_census"


def bare_iterparse(path: Path) -> tuple[int, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    count = 0
    for _event, element in etree.iterparse(str(path), events=("end",), tag="Child"):
        count += 1
        element.clear(keep_tail=False)
        parent = element.getparent()
        while element.getprevious() is not None:
            del parent[0]
    return count, time.perf_counter() - t0, time.process_time() - c0


def write_census(children: int, path: Path) -> Path:
    with path.open("w", encoding="utf-8") as out:
        cin_generator.write(out, 2023, cin_generator.children(children, 2023))
    return path


def probe(server: str, path: Path) -> dict[str, Any]:
    env = {**os.environ, "TEST_DATABASE_URL": server}
    done = subprocess.run(
        [sys.executable, __file__, "--probe", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def probe_async(server: str, path: Path) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-cin-probe-"))
    settings = bi.bench_settings(tmp)
    router.bank_holidays()
    stores = bi.Stores(server)
    try:
        _, kpis_url = await stores.fresh()
        summary, seconds, grew = await bi.run_import(kpis_url, [path], KIND, settings)
        assert summary["status"] == "succeeded", summary
    finally:
        await stores.drop()
        shutil.rmtree(tmp, ignore_errors=True)
    return {"seconds": seconds, "grew_mb": grew, "rows_stored": summary["rows_stored"]}


async def main_async(args: argparse.Namespace, server: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-cin-"))
    settings = bi.bench_settings(tmp)
    stores = bi.Stores(server)
    assert router.bank_holidays()
    try:
        t0 = time.perf_counter()
        path = write_census(args.children, tmp / "census.xml")
        size = path.stat().st_size / 1e6
        print(
            f"generated {args.children:,} children, {size:.0f} MB in "
            f"{time.perf_counter() - t0:.1f} s",
            file=sys.stderr,
        )
        runs: list[tuple[float, float, dict[str, Any]]] = []
        cpu_ratios: list[float] = []
        for _ in range(args.repeat):
            load = os.getloadavg()[0]
            read, bare_s, bare_cpu = bare_iterparse(path)
            assert read == args.children
            _, kpis_url = await stores.fresh()
            c0 = time.process_time()
            summary, import_s, grew = await bi.run_import(kpis_url, [path], KIND, settings)
            import_cpu = time.process_time() - c0
            assert summary["status"] == "succeeded", summary
            runs.append((bare_s, import_s, summary))
            cpu_ratios.append(bare_cpu / import_cpu)
            print(
                f"run: load {load:.1f}-{os.getloadavg()[0]:.1f}; iterparse {bare_s:.2f} s "
                f"(CPU {bare_cpu:.2f} s), import {import_s:.2f} s (CPU {import_cpu:.2f} s); "
                f"ratio {bare_s / import_s:.2f} (CPU {bare_cpu / import_cpu:.2f}), "
                f"peak RSS growth {grew:.0f} MB, rows {summary['rows_stored']:,}, "
                f"values {summary['values']:,}, phases {summary['timings_s']}"
            )
        ratios = [r[0] / r[1] for r in runs]
        print(
            f"ratio to iterparse, median (range): {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}-{max(ratios):.2f}); CPU: {statistics.median(cpu_ratios):.2f} "
            f"({min(cpu_ratios):.2f}-{max(cpu_ratios):.2f})"
        )
        bare = statistics.median(r[0] for r in runs)
        whole = statistics.median(r[1] for r in runs)
        print("\n| what | children | time | children/s | ratio to iterparse |")
        print("|---|---|---|---|---|")
        for label, seconds in (("bare lxml iterparse", bare), ("whole import (job)", whole)):
            rate = args.children / seconds
            print(
                f"| {label} | {args.children:,} | {seconds:.2f} s | {rate:,.0f} | "
                f"{bare / seconds:.2f} |"
            )
        memory = []
        for children in args.memory_children:
            sized = write_census(children, tmp / f"census-{children}.xml")
            result = probe(server, sized)
            memory.append(
                f"{children:,} children: {result['grew_mb']:.0f} MB ({result['seconds']:.1f} s)"
            )
            sized.unlink()
        print(f"\npeak RSS growth of the import, each in a new process: {'; '.join(memory)}")
    finally:
        await stores.drop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--memory-children", type=int, nargs="*", default=[25_000, 100_000])
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with server_url() as url:
        if args.probe:
            print(json.dumps(asyncio.run(probe_async(url, Path(args.probe)))))
            return
        asyncio.run(main_async(args, url))


if __name__ == "__main__":
    main()
