"""Fault drills on the shared platform (issue 8, item 3): scripted, bounded, repeatable.

- a service stopped: 503 problems for its routes at once, other routes carry on, traffic
  resumes when it returns (no restart of the gateway), and the writes made elsewhere while
  the trail was away each arrive exactly once (counted by event id);
- an import killed midway (SIGKILL of kpis): nothing half-applied, the retry completes once;
- a slow upstream behind a delaying proxy the test owns: the gateway's timeout answers 504
  problems while another service's latency stays as it was (medians, generous margin).

Every loop is bounded in count and time; all traffic stays on 127.0.0.1. Each drill leaves
the platform as it found it (services up, gateway on its usual settings).
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.kpis.imports.generator import Shape, write_csvs
from services.kpis.imports.service import RUNNING_GRACE_S
from shared.devtools.embedded import free_port
from tests.e2e.conftest import Api, Platform, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def owned(platform: Platform) -> Platform:
    if not platform.owned:
        pytest.skip("drills need a platform this session started")
    return platform


def _sql(platform: Platform, query: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(platform.stack.admin_url)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def _is_problem(r: httpx.Response, status: int) -> bool:
    return r.status_code == status and r.headers.get("content-type", "").startswith(
        "application/problem+json"
    )


# -- a service stopped; the trail away during writes ---------------------------------------


def test_audit_stopped_fails_fast_others_carry_on_and_every_event_arrives_once(
    owned: Platform, api: Api
) -> None:
    stack = owned.stack
    gateway_pid = stack.processes["gateway"].pid
    since = _sql(owned, "SELECT now() AS t")[0]["t"]
    for who in ("demo.viewer", "demo-ccg", "demo.auditor"):
        api.token(who)

    stack.stop_services("audit")
    try:
        for _ in range(3):  # a hang would raise httpx's ReadTimeout instead
            down = api.call("demo.auditor", "GET", "/v1/audit-tools", timeout=10)
            assert _is_problem(down, 503), down.text
            assert int(down.headers["Retry-After"]) >= 1
        assert api.call("demo.viewer", "GET", "/v1/plans", timeout=10).status_code == 200
        assert api.call("demo.viewer", "GET", "/v1/dashboard", timeout=10).status_code == 200
        health = api.http.get("/healthz", timeout=10).json()
        assert health["services"]["audit"]["status"] != "up"
        # writes elsewhere while the trail is away: four CCG quarters, a token each time
        for quarter in (1, 2, 3, 4):
            row = {
                "indicator": "HV_6_8_WEEK",
                "period": f"2019/20-Q{quarter}",
                "org_unit": "WIRRAL",
                "numerator": 150 + quarter,
                "denominator": 200,
            }
            api.ok("demo-ccg", "POST", "/v1/submissions", 201, json={"rows": [row]}, timeout=10)
    finally:
        stack.start_service("audit")
        stack.wait_ready(timeout_s=60, services=["audit"])

    wait_for(
        lambda: api.call("demo.auditor", "GET", "/v1/audit-tools", timeout=10).status_code == 200,
        timeout_s=30,
        what="audit routes to work again",
    )
    assert stack.processes["gateway"].pid == gateway_pid  # nothing else was restarted

    made = _sql(
        owned,
        "SELECT event_id FROM kpis.outbox WHERE occurred_at >= $1 "
        "UNION ALL SELECT event_id FROM gateway.outbox WHERE occurred_at >= $1 "
        "UNION ALL SELECT event_id FROM actions.outbox WHERE occurred_at >= $1",
        since,
    )
    ids = [r["event_id"] for r in made]
    kpis_during = _sql(
        owned,
        "SELECT count(*) AS n FROM kpis.outbox WHERE occurred_at >= $1 "
        "AND event_type = 'indicator_values.recorded'",
        since,
    )[0]["n"]
    assert kpis_during >= 4

    def counts() -> dict[Any, int]:
        rows = _sql(
            owned,
            "SELECT event_id, count(*) AS n FROM audit.trail_event "
            "WHERE event_id = ANY($1::uuid[]) GROUP BY event_id",
            ids,
        )
        return {r["event_id"]: r["n"] for r in rows}

    wait_for(lambda: len(counts()) == len(ids), timeout_s=60, what="every event in the trail")
    assert set(counts().values()) == {1}
    unsent = _sql(
        owned,
        "SELECT count(*) AS n FROM kpis.outbox WHERE event_id = ANY($1::uuid[]) "
        "AND sent_at IS NULL",
        ids,
    )[0]["n"]
    assert unsent == 0


# -- an import killed midway ----------------------------------------------------------------

ROWS = 60_000  # enough for the import to be seen running before it is killed


def _job(api: Api, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = api.ok("demo.plan-manager", "GET", f"/v1/imports/{job_id}")
    return job


def _upload(api: Api, files: list[Path]) -> httpx.Response:
    return api.call(
        "demo.plan-manager",
        "POST",
        "/v1/imports",
        data={"kind": "annex_a", "population": "320000"},
        files=[("files", (p.name, p.read_bytes(), "text/csv")) for p in files],
        timeout=60,
    )


def test_an_import_killed_midway_leaves_nothing_and_the_retry_completes_once(
    owned: Platform, api: Api, tmp_path: Path
) -> None:
    stack = owned.stack
    files = write_csvs(Shape(rows=ROWS, months=12, first_day=date(2015, 4, 1)), tmp_path)
    first = _upload(api, files)
    assert first.status_code == 202, first.text
    job_id = first.json()["id"]
    wait_for(
        lambda: _job(api, job_id)["status"] == "running",
        timeout_s=60,
        every_s=0.05,
        what="the import to start",
    )
    stack.kill_service("kpis")
    stack.start_service("kpis")
    stack.wait_ready(timeout_s=60, services=["kpis"])
    wait_for(
        lambda: api.call("demo.plan-manager", "GET", "/v1/imports", timeout=10).status_code == 200,
        timeout_s=30,
        what="kpis routes to work again",
    )

    killed = _job(api, job_id)
    assert killed["status"] != "succeeded"
    half = _sql(
        owned, "SELECT count(*) AS n FROM kpis.indicator_value WHERE import_id = $1", job_id
    )[0]["n"]
    assert half == 0  # nothing of the killed run was applied

    # a job younger than the grace period is never judged abandoned (its runner may be
    # about to lock it): a retry that soon is answered with the job as it stands
    started = datetime.fromisoformat(killed["created_at"])
    time.sleep(max(0.0, RUNNING_GRACE_S + 0.5 - (datetime.now(UTC) - started).total_seconds()))
    retry = _upload(api, files)
    assert retry.status_code == 202, retry.text  # a new run, not the dead one reported again
    retry_id = retry.json()["id"]
    done = wait_for(
        lambda: j if (j := _job(api, retry_id))["status"] not in ("queued", "running") else None,
        timeout_s=120,
        what="the retry to finish",
    )
    assert done["status"] == "succeeded", done["report"]
    applied = _sql(
        owned,
        "SELECT import_id, count(*) AS n FROM kpis.indicator_value "
        "WHERE import_id = ANY($1::text[]) GROUP BY import_id",
        [job_id, retry_id],
    )
    assert {r["import_id"]: r["n"] for r in applied} == {retry_id: done["values_count"]}
    again = _upload(api, files)  # the same file once more: reported, not applied twice
    assert again.status_code == 200
    assert again.json()["id"] == retry_id


# -- a slow upstream ------------------------------------------------------------------------


class DelayingProxy:
    """A TCP proxy on 127.0.0.1 that can hold back every upstream answer by ``delay_s``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.delay_s = 0.0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slow: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if slow and self.delay_s:
                    await asyncio.sleep(self.delay_s)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pipe(reader, up_writer, slow=False),
            self._pipe(up_reader, writer, slow=True),
        )

    def __enter__(self) -> DelayingProxy:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def gateway_via_proxy(owned: Platform, api: Api) -> Iterator[DelayingProxy]:
    """The gateway restarted with kpis behind the proxy and a 2 s upstream timeout."""
    stack = owned.stack
    with DelayingProxy(stack.config.ports["kpis"]) as proxy:
        env = {
            "GATEWAY_KPIS_URL": f"http://127.0.0.1:{proxy.port}",
            "GATEWAY_UPSTREAM_TIMEOUT_S": "2",
        }
        stack.stop_services("gateway")
        try:
            stack.start_service("gateway", env)
            stack.wait_ready(timeout_s=60, services=["gateway"])
            api.reconnect()
            yield proxy
        finally:
            stack.stop_services("gateway")
            stack.start_service("gateway")
            stack.wait_ready(timeout_s=60, services=["gateway"])
            api.reconnect()


def _timed(api: Api, who: str, path: str) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    r = api.call(who, "GET", path, timeout=30)
    return time.perf_counter() - start, r


def test_a_slow_upstream_times_out_with_504_and_other_routes_keep_their_pace(
    gateway_via_proxy: DelayingProxy, api: Api
) -> None:
    proxy = gateway_via_proxy
    who = "demo.viewer"
    api.token(who)
    assert api.call(who, "GET", "/v1/indicators", timeout=10).status_code == 200  # via proxy
    before = [_timed(api, who, "/v1/plans") for _ in range(15)]
    assert {r.status_code for _, r in before} == {200}

    proxy.delay_s = 6.0  # three times the gateway's 2 s timeout
    with ThreadPoolExecutor(max_workers=3) as pool:
        slow = [pool.submit(_timed, api, who, "/v1/indicators") for _ in range(3)]
        time.sleep(0.2)  # the slow calls are in flight while the others are measured
        during = [_timed(api, who, "/v1/plans") for _ in range(15)]
        slow_results = [f.result(timeout=60) for f in slow]
    proxy.delay_s = 0.0

    for _, r in slow_results:
        assert _is_problem(r, 504), r.text
        assert r.json()["type"].endswith("/upstream-timeout")
        assert int(r.headers["Retry-After"]) >= 1
    assert {r.status_code for _, r in during} == {200}
    median_before = statistics.median(t for t, _ in before)
    median_during = statistics.median(t for t, _ in during)
    # generous: the other route must not wait for the slow one (2 s timeout, 6 s delay)
    assert median_during < 3 * median_before + 1.0, (median_before, median_during)

    # the slow service is back to its pace: its routes work again (breaker stays shut)
    wait_for(
        lambda: api.call(who, "GET", "/v1/indicators", timeout=10).status_code == 200,
        timeout_s=30,
        what="kpis routes to answer again",
    )
