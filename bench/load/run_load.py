"""Load benchmark: a realistic day against the whole platform on this machine.

Starts the platform as ``make run`` does (free ports on 127.0.0.1, a temporary data folder,
a throwaway embedded PostgreSQL, seeds), generates a nightly Annex A export with
``services.kpis.imports.generator``, then runs locust headless twice:

1. **baseline**: one person browsing with no think time, nothing else running (the unloaded
   latency of the same read mix);
2. **day**: 50 front-end users, 3 partner systems posting batches, the nightly import.

Writes ``bench/load/RESULTS.md`` (throughput, p50/p95/p99 and error rate per route class,
ratios to the baseline) and prints the same table.

    .venv/bin/python bench/load/run_load.py --duration 120

The gateway's per-caller rate limits are raised for this run: the 50 users share four demo
identities, which the real limits (600/min per caller) would throttle; they are people, not
one caller.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from services.kpis.imports.generator import Shape, write_csvs  # noqa: E402
from shared.devtools.embedded import free_port  # noqa: E402
from shared.devtools.stack import Stack, StackConfig  # noqa: E402

HERE = Path(__file__).resolve().parent
SERVICES = ("gateway", "actions", "kpis", "audit", "board")
LIMITS = {f"GATEWAY_RATE_LIMIT_{k}": "1000000/minute" for k in ("DEFAULT", "WRITE", "AUTH")}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_locust(
    gateway: str, profile: str, users: int, duration: int, env: dict[str, str], out: Path
) -> dict[str, Any]:
    summary = out / f"{profile}.json"
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "--host",
        gateway,
        "-u",
        str(users),
        "-r",
        env.get("LOAD_SPAWN_RATE", "2"),
        "-t",
        f"{duration}s",
        "--only-summary",
        "--stop-timeout",
        "10",
    ]
    subprocess.run(
        command,
        cwd=ROOT,
        env=os.environ | env | {"LOAD_PROFILE": profile, "LOAD_SUMMARY": str(summary)},
        check=False,
        stdout=(out / f"{profile}.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    return dict(json.loads(summary.read_text()))


def table(result: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    rows = [
        "| route class | requests | req/s | p50 ms | p95 ms | p99 ms | 5xx | other errors"
        " | error rate | p95 vs baseline |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    duration = result["duration_s"]
    for klass in sorted(result["samples"]):
        samples = result["samples"][klass]
        statuses = result["statuses"][klass]
        count = len(samples)
        five = sum(n for code, n in statuses.items() if code.startswith("5"))
        other = sum(n for code, n in statuses.items() if not code.startswith(("2", "5")))
        base = baseline["samples"].get(klass)
        ratio = (
            f"{percentile(samples, 0.95) / percentile(base, 0.95):.2f}x"
            if base and percentile(base, 0.95) > 0
            else "-"
        )
        rows.append(
            f"| {klass} | {count} | {count / duration:.1f} | {percentile(samples, 0.5):.0f}"
            f" | {percentile(samples, 0.95):.0f} | {percentile(samples, 0.99):.0f} | {five}"
            f" | {other} | {(five + other) / max(count, 1):.2%} | {ratio} |"
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=120, help="seconds of the day run")
    parser.add_argument("--users", type=int, default=50, help="front-end users")
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument(
        "--login-storm", action="store_true", help="every user logs in itself, 10 a second"
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="load-"))
    stack = Stack(
        StackConfig(
            data_dir=work / "data",
            ports={s: free_port() for s in SERVICES},
            throwaway_pg=True,
            extra_env=LIMITS,
            log_dir=work / "logs",
        )
    )
    try:
        print("starting the platform…", flush=True)
        stack.start_database()
        stack.bootstrap()
        stack.run_seeds()
        stack.start_services()
        stack.wait_ready()
        gateway = stack.service_url("gateway")
        imports = work / "import"
        write_csvs(Shape(rows=args.import_rows, seed=7), imports)
        env = {
            "LOAD_DEMO": str(work / "data" / "demo-credentials.json"),
            "LOAD_IMPORT_DIR": str(imports),
            "LOAD_LOGIN_EACH": "1" if args.login_storm else "0",
            "LOAD_SPAWN_RATE": "10" if args.login_storm else "2",
        }
        print("baseline: one user, 20 s…", flush=True)
        baseline = run_locust(gateway, "baseline", 1, 20, env, work)
        load_before = os.getloadavg()
        print(f"day: {args.users} users + partners + import, {args.duration} s…", flush=True)
        started = time.monotonic()
        day = run_locust(gateway, "day", args.users + 4, args.duration, env, work)
        elapsed = time.monotonic() - started
        load_after = os.getloadavg()
    finally:
        stack.stop()

    reads = day["samples"].get("read", [])
    server_errors = sum(
        n for s in day["statuses"].values() for code, n in s.items() if code.startswith("5")
    )
    codes = {k: dict(sorted(v.items())) for k, v in sorted(day["statuses"].items())}
    lines = [
        "# Load benchmark: a realistic day through the gateway",
        "",
        "## Command",
        "",
        "```sh",
        f".venv/bin/python bench/load/run_load.py --duration {args.duration}"
        f" --users {args.users} --import-rows {args.import_rows}"
        + (" --login-storm" if args.login_storm else ""),
        "```",
        "",
        "Public tools only (the project venv: locust, the embedded PostgreSQL). The script",
        "starts the whole platform on 127.0.0.1 (free ports, a temporary data folder, a",
        "throwaway database, seeds), generates an Annex A referrals export",
        f"({args.import_rows:,} rows, `services/kpis/imports/generator.py`) and runs locust",
        "headless (`bench/load/locustfile.py`) twice against the gateway:",
        "",
        "- **baseline**: one person, no think time, nothing else running, 20 s (the unloaded",
        "  latency of the same read mix);",
        f"- **day**: {args.users} front-end users (started 2 a second, think time 1-3 s,",
        "  one login per demo identity) browsing dashboard,",
        "  series, drill-down, values, plan, themes, actions, an action, risks, indicators and",
        "  the board summary; 3 partner systems posting 6-12 row batches to",
        "  `POST /v1/submissions` every 5-10 s (with `Idempotency-Key`); the nightly import",
        "  uploaded once by the council client and polled until done.",
        "",
        "Route classes: `read` = every GET of the front end through the gateway; `submit` =",
        "partner batch posts; `import` = the upload and its polling; `auth` = logins and",
        "token requests at start-up. The gateway's rate limits are raised for this run (50",
        "users share four demo identities; the real per-caller limit would throttle them).",
        "",
        f"## Figures ({datetime.now(UTC):%d %b %Y %H:%M} UTC, {args.duration} s)",
        "",
        "The machine is **shared**: 2 cores, other engineers' tests and builds running at the",
        f"same time (load average {load_before[0]:.1f} before the day run,"
        f" {load_after[0]:.1f} after); the figures are a floor, not a capacity.",
        "",
        "### Day",
        "",
        *table(day, baseline),
        "",
        f"Day run wall time {elapsed:.0f} s. Status codes per class: `{json.dumps(codes)}`.",
        f"Nightly import job ({args.import_rows:,} referrals + assessments):"
        f" {day.get('import_job') or 'not finished within the run'}.",
        "",
        "### Baseline (one user, unloaded)",
        "",
        *table(baseline, baseline),
        "",
        "## Goal",
        "",
        f"- zero 5xx: **{'NOT met' if server_errors else 'met'}** ({server_errors} 5xx)",
        f"- p95 of reads through the gateway < 200 ms: **{percentile(reads, 0.95):.0f} ms, "
        f"{'met' if percentile(reads, 0.95) < 200 else 'NOT met'}**",
        "",
        "### Per route (day)",
        "",
        "| route | requests | failures | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
        *[
            f"| {name} | {r['count']} | {r['failures']} | {r['p50']:.0f} | {r['p95']:.0f} |"
            for name, r in sorted(day["per_route"].items())
        ],
        "",
    ]
    if reads:
        lines.append(f"Mean read latency {statistics.fmean(reads):.0f} ms.")
    args.results.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    if server_errors:
        print(f"service logs kept in {work / 'logs'}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
