"""Gateway benchmark: an authenticated GET through the gateway vs straight to the service.

Run: ``.venv/bin/python -m bench.gateway.bench`` (``--seconds 10 --runs 3`` for the figures in
RESULTS.md). Needs nothing running: PostgreSQL is ``TEST_DATABASE_URL`` if set, else a
throwaway embedded server. The load generator is ``wrk`` when it is on the PATH (install:
``apt-get install -y wrk``), otherwise a built-in aiohttp generator (``--generator aiohttp``),
which itself eats CPU on a two-core machine and so understates both sides.

Both processes are real: the gateway (``services.gateway.main:app_factory``: token
verification, deny list, rate limit, policy, internal token, forwarding over httpx-aiohttp)
and the service (``bench.gateway.upstream``: the foundation skeleton with ``CallerDep``), each
a single uvicorn worker with uvloop and httptools, logging JSON at INFO to /dev/null. The
direct requests carry an internal token minted with the gateway's key, as the gateway would.

Printed: requests/s, p50 and p99 at 1 and 32 connections, the ratio gateway/direct at 32
connections (goal ≥ 0.7) and the p50 the gateway adds at 1 connection (goal ≤ 0.6 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psutil

from shared.devtools.embedded import free_port
from shared.devtools.stack import ROOT, generate_ec_key
from shared.identity import Caller, InternalTokenMinter
from tests.support.database import fresh_database, server_url

ISSUER = "improvement-platform-gateway"


def _uvicorn(module: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        module,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-server-header",
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]


def _granian(module: str, port: int) -> list[str]:
    """Granian (a maintained ASGI server written in Rust): one worker, one runtime thread."""
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--runtime-threads",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "1",
        "--no-ws",
        "--no-access-log",
        module,
    ]


@contextmanager
def process(
    module: str, port: int, env: dict[str, str], server: str = "uvicorn"
) -> Iterator[psutil.Process]:
    command = (_granian if server == "granian" else _uvicorn)(module, port)
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ | env | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # a loaded machine imports slowly
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not start")
            time.sleep(0.2)
        yield psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_wrk(url: str, token: str, conns: int, seconds: float) -> tuple[float, float, float]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{conns}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        value = float(m.group(1))
        return value / 1000 if m.group(2) == "us" else value * 1000 if m.group(2) == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} failed responses from {url}")
    return rps, ms("50"), ms("99")


async def _aiohttp(url: str, token: str, conns: int, seconds: float) -> tuple[float, float, float]:
    import aiohttp

    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}

    async def worker(session: aiohttp.ClientSession) -> None:
        while time.perf_counter() < stop:
            started = time.perf_counter()
            async with session.get(url, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"{r.status} from {url}")
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=conns)
    async with aiohttp.ClientSession(connector=connector) as session:
        begun = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(conns)))
        elapsed = time.perf_counter() - begun
    latencies.sort()
    return (
        len(latencies) / elapsed,
        latencies[len(latencies) // 2],
        latencies[int(len(latencies) * 0.99)],
    )


def _cpu(proc: psutil.Process) -> float:
    """CPU seconds of the server and its worker processes (granian runs its app in one)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        times = p.cpu_times()
        total += times.user + times.system
    return total


def measure(gen: str, url: str, token: str, conns: int, seconds: float) -> tuple[float, ...]:
    if gen == "wrk":
        return run_wrk(url, token, conns, seconds)
    return asyncio.run(_aiohttp(url, token, conns, seconds))


async def _prepare_gateway(database_url: str) -> tuple[str, str]:
    """A signing key and a partner client in the gateway's schema; (client_id, secret)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from services.gateway.clients import service as clients
    from services.gateway.clients.schemas import ClientCreate
    from services.gateway.config import GatewaySettings
    from services.gateway.hashing import SecretHasher
    from services.gateway.keys.keyring import ensure_signing_key
    from shared.db import create_sessionmaker

    engine = create_async_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            # the gateway it starts (profile local) opens keys with the same wrapping key
            wrapper = GatewaySettings(profile="local").key_wrapper()
            await ensure_signing_key(session, wrapper)
            made = await clients.create(
                session,
                ClientCreate(name="bench", agency="police", scopes=["actions:read"]),
                Caller(subject="bench", agency="council", roles=frozenset({"admin"})),
                SecretHasher.from_settings(GatewaySettings(profile="local")),
            )
    finally:
        await engine.dispose()
    return made.client_id, made.client_secret or ""


def mint_direct(private: str, client_id: str, lifetime_s: int = 60) -> str:
    """An internal token for ``client_id``, as the gateway would mint it."""
    return InternalTokenMinter(private, kid="bench", issuer=ISSUER).mint(
        Caller(
            subject=client_id,
            agency="police",
            scopes=frozenset({"actions:read"}),
            client_id=client_id,
            kind="client",
        ),
        "actions",
        lifetime_s=lifetime_s,
    )


Medians = dict[tuple[str, int], tuple[float, ...]]


def _throughput(med: Medians, name: str) -> float:
    return med[(name, 32)][0] / med[("direct", 32)][0]


def _added(med: Medians, name: str) -> float:
    return med[(name, 1)][1] - med[("direct", 1)][1]


def _cpu_ratio(med: Medians, name: str) -> float:
    return med[(name, 32)][4] / med[(name, 32)][3]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--generator", choices=["wrk", "aiohttp"], default=None)
    parser.add_argument(
        "--granian",
        action="store_true",
        help="also the gateway and the floor under granian (Rust ASGI server) instead of uvicorn",
    )
    args = parser.parse_args()
    gen = args.generator or ("wrk" if shutil.which("wrk") else "aiohttp")
    load_start = os.getloadavg()[0]
    private, public = generate_ec_key()
    up_port, gw_port, floor_port = free_port(), free_port(), free_port()
    gr_port, gr_floor_port = free_port(), free_port()
    with server_url() as server:
        db = fresh_database(server, label="bench")
        gw_db = db.service_url("gateway")
        client_id, secret = asyncio.run(_prepare_gateway(gw_db))
        upstream_env = {"BENCH_INTERNAL_JWT_PUBLIC_KEY": public}
        gateway_env = {
            "GATEWAY_PROFILE": "local",
            "GATEWAY_DATABASE_URL": gw_db,
            "GATEWAY_INTERNAL_JWT_PRIVATE_KEY": private,
            "GATEWAY_INTERNAL_JWT_PUBLIC_KEY": public,
            "GATEWAY_ACTIONS_URL": f"http://127.0.0.1:{up_port}",
            "GATEWAY_ISSUER": f"http://127.0.0.1:{gw_port}",
            "GATEWAY_LOG_JSON": "true",
            "GATEWAY_RATE_LIMIT_DEFAULT": "100000000/minute",
        }
        floor_env = {
            "BENCH_FLOOR_UPSTREAM": f"http://127.0.0.1:{up_port}",
            "BENCH_FLOOR_KEY": private,
            "BENCH_FLOOR_CLIENT": client_id,
        }
        with contextlib.ExitStack() as stack:
            up_proc = stack.enter_context(
                process("bench.gateway.upstream:app_factory", up_port, upstream_env)
            )
            gw_proc = stack.enter_context(
                process("services.gateway.main:app_factory", gw_port, gateway_env)
            )
            floor_proc = stack.enter_context(
                process("bench.gateway.floor:app_factory", floor_port, floor_env)
            )
            token = httpx.post(
                f"http://127.0.0.1:{gw_port}/oauth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                },
            ).json()["access_token"]
            internal = mint_direct(private, client_id)
            targets = {
                "direct": (f"http://127.0.0.1:{up_port}/v1/actions", internal),
                "floor": (f"http://127.0.0.1:{floor_port}/v1/actions", token),
                "gateway": (f"http://127.0.0.1:{gw_port}/v1/actions", token),
            }
            proxies = {"direct": gw_proc, "floor": floor_proc, "gateway": gw_proc}
            if args.granian:
                gr_env = gateway_env | {"GATEWAY_ISSUER": f"http://127.0.0.1:{gw_port}"}
                proxies["gateway-gr"] = stack.enter_context(
                    process("services.gateway.main:app_factory", gr_port, gr_env, "granian")
                )
                proxies["floor-gr"] = stack.enter_context(
                    process("bench.gateway.floor:app_factory", gr_floor_port, floor_env, "granian")
                )
                targets["floor-gr"] = (f"http://127.0.0.1:{gr_floor_port}/v1/actions", token)
                targets["gateway-gr"] = (f"http://127.0.0.1:{gr_port}/v1/actions", token)
            results: dict[tuple[str, int], list[tuple[float, ...]]] = {}
            for url, tok in targets.values():  # warm-up
                measure(gen, url, tok, 8, 1.0)
            for _ in range(args.runs):
                for conns in (1, 32):
                    for name, (url, tok) in targets.items():
                        if name == "direct":  # the internal token lives 60 s: renew it
                            tok = mint_direct(private, client_id)
                        proxy = proxies[name]
                        cpu_before = _cpu(up_proc), _cpu(proxy)
                        figures = measure(gen, url, tok, conns, args.seconds)
                        done = figures[0] * args.seconds
                        cpu = [
                            (_cpu(p) - before) / done * 1000
                            for p, before in zip((up_proc, proxy), cpu_before, strict=True)
                        ]
                        results.setdefault((name, conns), []).append((*figures, *cpu))
    print(f"generator: {gen}; {args.runs} run(s) of {args.seconds:g} s each; medians")
    print(
        f"load average (1 min) at start {load_start:.1f}, at end {os.getloadavg()[0]:.1f}"
        " (2 cores); floor = uvicorn + the gateway's pool forwarding, no checks"
    )
    print(
        f"{'target':8} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'svc cpu ms/req':>15} {'proxy cpu ms/req':>17}"
    )
    med: dict[tuple[str, int], tuple[float, ...]] = {}
    for (name, conns), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        rps, p50, p99, up_cpu, gw_cpu = (statistics.median(r[i] for r in runs) for i in range(5))
        med[(name, conns)] = (rps, p50, p99, up_cpu, gw_cpu)
        proxy = "-" if name == "direct" else f"{gw_cpu:.3f}"
        print(f"{name:8} {conns:5d} {rps:9.0f} {p50:8.2f} {p99:8.2f} {up_cpu:15.3f} {proxy:>17}")
    print(f"{'figure (issue 20)':44} {'gateway':>8} {'floor':>8}  goal")
    granian = ("gateway-gr", "floor-gr") if args.granian else ()
    if granian:
        print(f"{'':44} {'':>8} {'':>8}  {'gateway-gr':>10} {'floor-gr':>8}  (granian)")
    for label, goal, value in (
        ("throughput / direct at 32 connections", ">= 0.90", _throughput),
        ("p50 added at 1 connection, ms", "<= 0.60", _added),
        ("CPU per request / service's, 32 connections", "<= 0.40", _cpu_ratio),
    ):
        gw, floor = value(med, "gateway"), value(med, "floor")
        more = "".join(f" {value(med, name):10.2f}" for name in granian)
        print(f"{label:44} {gw:8.2f} {floor:8.2f}  {goal}{more}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
