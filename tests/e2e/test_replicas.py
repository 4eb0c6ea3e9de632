"""Several replicas for real (issue 19, item 3): two gateways and two kpis processes on one
PostgreSQL and one Redis, the rest of the platform once, all real processes.

``gateway`` forwards kpis calls to ``kpis``, ``gateway-2`` to ``kpis-2``: a request through
one gateway is served by one kpis replica, and each replica runs its own outbox relay. Both
gateways count limits in Redis and trust 127.0.0.1 (the "ingress") to name the client in
``X-Forwarded-For``. Shown here:

- limits are shared: a client's token attempts count once across both gateways, and they
  key on the client the proxy names, not on the proxy;
- an import is taken by one replica only: the same upload through both replicas at once is
  one import (the other answer names it, or ends refused with nothing stored), stored once;
- idempotency holds across replicas: a retry through the other replica replays the first
  answer, the same key raced through both writes once;
- the relay is safe: every kpis event of both replicas reaches the trail exactly once and the
  trail verifies.

Redis is expected at 127.0.0.1:6379 (``E2E_REDIS_URL`` names another); where none answers the
test is skipped and says so.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg
import httpx
import pytest

from shared.devtools.embedded import free_port
from shared.devtools.stack import ROOT, Stack, StackConfig, uvicorn_args
from tests.e2e.conftest import (
    FAST_RECOVERY,
    SERVICES,
    Api,
    Platform,
    _make_sure_postgres_stopped,
    wait_for,
)
from tests.support.database import SAMPLE_DATA

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ANNEX_A = SAMPLE_DATA / "annex-a" / "Annex_A_sample.xlsx"
AUTH_LIMIT = 6  # token and login attempts per client address per minute, over both gateways


def _redis_url() -> str:
    url = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379")
    where = urlparse(url)
    try:
        with socket.create_connection((where.hostname, where.port or 6379), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        pytest.skip(f"no Redis answers at {url} ({exc}): the multi-replica test needs one")
    # a database of its own (1-15), so other runs' counters on this Redis are not ours
    return f"{url.rstrip('/')}/{secrets.randbelow(15) + 1}"


@dataclass
class Replicas:
    platform: Platform
    extra: dict[str, subprocess.Popen[bytes]]
    ports: dict[str, int]

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def api(self, gateway: str, client_address: str) -> Api:
        """The gateway as a caller at ``client_address`` behind the ingress sees it."""
        api = self.platform.api()
        api.http.close()
        api.base = self.url(gateway)
        api.http = httpx.Client(
            base_url=api.base, timeout=30, headers={"X-Forwarded-For": client_address}
        )
        return api

    def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async def run() -> list[asyncpg.Record]:
            connection = await asyncpg.connect(self.platform.stack.admin_url)
            try:
                return await connection.fetch(query, *args)  # type: ignore[no-any-return]
            finally:
                await connection.close()

        return asyncio.run(run())


@pytest.fixture(scope="module")
def replicas() -> Iterator[Replicas]:
    redis = _redis_url()
    data_dir = Path(tempfile.mkdtemp(prefix="e2e-replicas-"))
    ports = {s: free_port() for s in SERVICES}
    shared_settings = FAST_RECOVERY | {
        "GATEWAY_RATE_LIMIT_REDIS_URL": redis,
        "GATEWAY_TRUSTED_PROXIES": '["127.0.0.1/32"]',
        "GATEWAY_RATE_LIMIT_AUTH": f"{AUTH_LIMIT}/minute",
        "GATEWAY_RATE_LIMIT_IMPORT": "600/minute",
    }
    stack = Stack(
        StackConfig(
            data_dir=data_dir,
            ports=ports,
            throwaway_pg=True,
            log_dir=data_dir / "logs",
            extra_env=shared_settings,
        )
    )
    extra: dict[str, subprocess.Popen[bytes]] = {}
    all_ports = dict(ports) | {"gateway-2": free_port(), "kpis-2": free_port()}
    try:
        stack.start_database()
        stack.bootstrap()
        stack.run_seeds()
        stack.start_services()
        stack.wait_ready()
        for name, service, override in (
            ("kpis-2", "kpis", {}),
            (
                "gateway-2",
                "gateway",
                {"GATEWAY_KPIS_URL": f"http://127.0.0.1:{all_ports['kpis-2']}"},
            ),
        ):
            log = (data_dir / "logs" / f"{name}.log").open("ab")
            extra[name] = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", *uvicorn_args(service, all_ports[name])],
                cwd=ROOT,
                env=stack.child_env(service) | override,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for name in extra:
            wait_for(
                lambda n=name: _ready(f"http://127.0.0.1:{all_ports[n]}"),
                timeout_s=90,
                what=f"{name} ready",
            )
        yield Replicas(Platform(stack, data_dir), extra, all_ports)
    finally:
        try:
            for proc in extra.values():
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=15)
            stack.stop()
        finally:
            _make_sure_postgres_stopped(data_dir / "pg")
            shutil.rmtree(data_dir, ignore_errors=True)


def _ready(url: str) -> bool:
    try:
        return httpx.get(url + "/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _token_attempt(replicas: Replicas, gateway: str, client_address: str) -> int:
    r = httpx.post(
        replicas.url(gateway) + "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-police",
            "client_secret": "wrong",
        },
        headers={"X-Forwarded-For": client_address},
        timeout=30,
    )
    return r.status_code


def test_limits_are_shared_by_the_gateways_and_key_on_the_real_client(replicas: Replicas) -> None:
    guesser = "203.0.113.7"
    answers = [
        _token_attempt(replicas, ("gateway", "gateway-2")[i % 2], guesser)
        for i in range(AUTH_LIMIT + 2)
    ]
    # the limit counted once over both: each gateway alone would have allowed AUTH_LIMIT
    assert answers[:AUTH_LIMIT] == [401] * AUTH_LIMIT, answers
    assert answers[AUTH_LIMIT:] == [429, 429], answers
    # another client behind the same proxy is not throttled by the guesser
    assert _token_attempt(replicas, "gateway", "203.0.113.8") == 401
    assert _token_attempt(replicas, "gateway-2", "203.0.113.9") == 401


def _finished(api: Api, who: str, job_id: str) -> dict[str, Any] | None:
    job: dict[str, Any] = api.ok(who, "GET", f"/v1/imports/{job_id}")
    return job if job["status"] not in ("queued", "running") else None


def test_the_same_import_through_both_replicas_is_taken_once(replicas: Replicas) -> None:
    manager = "demo.plan-manager"
    apis = [replicas.api("gateway", "198.51.100.1"), replicas.api("gateway-2", "198.51.100.2")]
    for api in apis:
        api.token(manager)  # log in first: the uploads then race each other only
    body = ANNEX_A.read_bytes()

    def upload(api: Api) -> httpx.Response:
        return api.call(
            manager,
            "POST",
            "/v1/imports",
            data={"kind": "annex_a", "population": "60000"},
            files=[("files", ("Annex_A.xlsx", body))],
        )

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(upload, apis))
    assert [a.status_code for a in answers] in ([202, 202], [202, 200], [200, 202]), [
        a.text for a in answers
    ]
    ids = {a.json()["id"] for a in answers}
    jobs = [
        wait_for(lambda i=i: _finished(apis[0], manager, i), timeout_s=120, what="import")
        for i in ids
    ]
    succeeded = [j for j in jobs if j["status"] == "succeeded"]
    assert len(succeeded) == 1, jobs
    # an upload that lost the race stored nothing
    for job in jobs:
        if job["status"] != "succeeded":
            assert job["status"] in ("failed", "rejected"), job
    stored = replicas.sql(
        "SELECT import_id, count(*) AS n FROM kpis.import_value GROUP BY import_id"
    )
    assert {str(r["import_id"]) for r in stored} == {succeeded[0]["id"]}
    # the figures are the same whichever replica is asked
    values = f"/v1/imports/{succeeded[0]['id']}/values"
    one = apis[0].ok(manager, "GET", values, params={"limit": 200})
    two = apis[1].ok(manager, "GET", values, params={"limit": 200})
    assert one == two
    # each replica ran what it was given, and the import ran on one of them only
    ran = [
        name
        for name in ("kpis", "kpis-2")
        if "import.succeeded" in _lines_of(replicas, name, succeeded[0]["id"])
    ]
    assert len(ran) == 1, ran


def _log(replicas: Replicas, name: str) -> str:
    path = replicas.platform.data_dir / "logs" / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def _lines_of(replicas: Replicas, name: str, import_id: str) -> str:
    return "\n".join(line for line in _log(replicas, name).splitlines() if import_id in line)


def test_idempotency_holds_across_replicas(replicas: Replicas) -> None:
    one = replicas.api("gateway", "198.51.100.3")
    two = replicas.api("gateway-2", "198.51.100.4")
    period = "2021/22-Q1"
    row = {"org_unit": "WIRRAL", "numerator": 170, "denominator": 200}
    body = {"rows": [{"indicator": "HV_6_8_WEEK", "period": period} | row]}
    key = str(uuid.uuid4())
    first = one.call(
        "demo-ccg", "POST", "/v1/submissions", json=body, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    again = two.call(
        "demo-ccg", "POST", "/v1/submissions", json=body, headers={"Idempotency-Key": key}
    )
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    other = dict(body, rows=[body["rows"][0] | {"numerator": 171}])
    refused = two.call(
        "demo-ccg", "POST", "/v1/submissions", json=other, headers={"Idempotency-Key": key}
    )
    assert refused.status_code == 422, refused.text

    # the same new key raced through both replicas: written once, the other replays or waits
    raced = str(uuid.uuid4())
    body2 = {"rows": [{"indicator": "HV_6_8_WEEK", "period": "2021/22-Q2"} | row]}

    def post(api: Api) -> httpx.Response:
        for _ in range(50):
            r = api.call(
                "demo-ccg",
                "POST",
                "/v1/submissions",
                json=body2,
                headers={"Idempotency-Key": raced},
            )
            if r.status_code != 409:  # 409: the other replica still runs it
                return r
        return r

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(post, [one, two]))
    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    submissions = replicas.sql(
        "SELECT count(*) AS n FROM kpis.idempotency_key WHERE key = $1", raced
    )
    assert submissions[0]["n"] == 1


def test_every_event_of_both_kpis_replicas_reaches_the_trail_once(replicas: Replicas) -> None:
    def unsent() -> bool:
        rows = replicas.sql("SELECT count(*) AS n FROM kpis.outbox WHERE sent_at IS NULL")
        return rows[0]["n"] == 0

    wait_for(unsent, timeout_s=90, what="the kpis outbox to drain")
    outbox = {r["event_id"] for r in replicas.sql("SELECT event_id FROM kpis.outbox")}
    assert outbox
    trail = replicas.sql(
        "SELECT event_id, count(*) AS n FROM audit.trail_event WHERE event_id = ANY($1::uuid[])"
        " GROUP BY event_id",
        list(outbox),
    )
    assert {r["event_id"] for r in trail} == outbox
    assert {r["n"] for r in trail} == {1}
    auditor = replicas.api("gateway-2", "198.51.100.5")
    verdict = auditor.ok("demo.admin", "GET", "/v1/trail/verify")
    assert verdict["valid"] is True, verdict
