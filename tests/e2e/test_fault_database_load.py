"""Fault drill (R4) under load: partner writes keep coming while PostgreSQL stops and restarts.

Every write the platform acknowledged (201 with a submission id) must still be there after
the restart; every write it could not make must have been refused with a problem (503 while
the database is away), never hung and never answered 500. Traffic goes to 127.0.0.1 only and
each loop is bounded in count and time.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from shared.devtools.embedded import free_port
from shared.devtools.stack import Stack, StackConfig

pytestmark = pytest.mark.e2e
SERVICES = ("gateway", "actions", "kpis", "audit", "board")
GENEROUS = {
    "GATEWAY_RATE_LIMIT_DEFAULT": "100000/minute",
    "GATEWAY_RATE_LIMIT_WRITE": "100000/minute",
}


def _token(gateway: str, data_dir: Path) -> str:
    demo = json.loads((data_dir / "demo-credentials.json").read_text())
    ccg = next(c for c in demo["clients"] if c["agency"] == "ccg")
    r = httpx.post(
        gateway + "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": ccg["client_id"],
            "client_secret": ccg["client_secret"],
            "scope": "kpis:submit kpis:read",
        },
        timeout=30,
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def test_writes_during_a_database_restart_are_kept_or_refused_never_lost() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="pg-load-drill-"))
    stack = Stack(
        StackConfig(
            data_dir=data_dir,
            ports={s: free_port() for s in SERVICES},
            throwaway_pg=True,
            log_dir=data_dir / "logs",
            extra_env=GENEROUS,
        )
    )
    acknowledged: list[str] = []
    statuses: list[int] = []
    stop = threading.Event()
    try:
        stack.start_database()
        stack.bootstrap()
        stack.run_seeds()
        stack.start_services()
        stack.wait_ready()
        gateway = stack.service_url("gateway")
        headers = {"Authorization": "Bearer " + _token(gateway, data_dir)}

        def writer(worker: int) -> None:
            with httpx.Client(base_url=gateway, headers=headers, timeout=20) as client:
                for i in range(400):  # bounded in count…
                    if stop.is_set():
                        return
                    row = {
                        "indicator": "CAMHS_REFERRALS",
                        "period": "2017-05",
                        "org_unit": "WIRRAL",
                        "value": worker * 1000 + i,
                    }
                    try:
                        r = client.post("/v1/submissions", json={"rows": [row]})
                    except httpx.TimeoutException:
                        statuses.append(-1)  # a hung request: the drill fails below
                        continue
                    statuses.append(r.status_code)
                    if r.status_code == 201:
                        acknowledged.append(str(r.json()["submission_id"]))
                    elif r.status_code >= 400:
                        assert r.headers["content-type"] == "application/problem+json"
                    time.sleep(0.02)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
        for t in threads:
            t.start()
        time.sleep(2)
        assert stack.pg is not None
        stack.pg.stop()
        time.sleep(3)
        stack.pg.start()
        stack.wait_ready(timeout_s=60)
        time.sleep(2)
        stop.set()
        for t in threads:
            t.join(timeout=60)  # …and in time

        assert -1 not in statuses, "a request hung past its timeout"
        assert 500 not in statuses
        assert 503 in statuses, "the outage was not observed"
        # 409: two writers racing on the same value key; every refusal is a problem
        assert set(statuses) <= {200, 201, 409, 503}, sorted(set(statuses))
        assert acknowledged
        with httpx.Client(base_url=gateway, headers=headers, timeout=20) as client:
            for submission_id in acknowledged:
                assert client.get(f"/v1/submissions/{submission_id}").status_code == 200
    finally:
        stop.set()
        stack.stop()
        if not os.environ.get("KEEP_DRILL_DATA"):
            shutil.rmtree(data_dir, ignore_errors=True)
