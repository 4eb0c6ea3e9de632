"""A realistic day on the platform, for locust (run through ``bench/load/run_load.py``).

- 50 front-end users (council people: viewer, contributor, approver, plan manager) browsing
  the dashboard, series, values, the plan, actions, risks and the board summary, with a
  think time of 1-3 s between pages;
- partner systems (CCG, police, probation clients) posting monthly batches to
  ``POST /v1/submissions`` with an ``Idempotency-Key`` every 5-10 s;
- the nightly import: the council client uploads a generated Annex A referrals export once
  (``POST /v1/imports``) and polls the job until it finishes.

Every request is named by its route template and counted in a route class (``read``,
``submit``, ``import``). Per-class latencies and status codes go to the JSON file named by
``LOAD_SUMMARY`` when locust quits. Credentials: ``LOAD_DEMO`` (demo-credentials.json);
import files: ``LOAD_IMPORT_DIR``; which users run: ``LOAD_PROFILE`` (``day`` or ``baseline``);
``LOAD_LOGIN_EACH=1``: every user logs in for itself (a login storm at start).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from locust import HttpUser, between, constant, events, task

DEMO = json.loads(Path(os.environ["LOAD_DEMO"]).read_text())
PROFILE = os.environ.get("LOAD_PROFILE", "day")
LOGIN_EACH = os.environ.get("LOAD_LOGIN_EACH") == "1"
PEOPLE = ("demo.viewer", "demo.contributor", "demo.approver", "demo.plan-manager")
COUNCIL_INDICATORS = ("REFERRALS", "CIC", "CP_RATE", "ASSESS_45WD", "RE_REFERRALS", "CIN")
PARTNER_ROWS = {
    "demo-ccg": ("CAMHS_REFERRALS", "CAMHS_ATTENDED"),
    "demo-police": ("DA_NOTIFICATIONS", "POLICE_STRATEGY_ATTEND"),
    "demo-probation": ("PROBATION_CHECKS",),
}
MONTHS = [f"{y}-{m:02d}" for y in (2017, 2018) for m in range(1, 13)]

SAMPLES: dict[str, list[float]] = defaultdict(list)
IMPORT_JOB: dict[str, Any] = {}
STATUSES: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
_tokens: dict[str, str] = {}
_locks: dict[str, threading.Lock] = defaultdict(threading.Lock)


def route_class(name: str) -> str:
    return name.split(" ", 1)[0]


@events.request.add_listener
def _record(name: str, response_time: float, response: Any = None, **_: Any) -> None:
    klass = route_class(name)
    SAMPLES[klass].append(response_time)
    status = getattr(response, "status_code", 0) or 0
    STATUSES[klass][str(status) if status else "error"] += 1


@events.quitting.add_listener
def _write_summary(environment: Any, **_: Any) -> None:
    target = os.environ.get("LOAD_SUMMARY")
    if not target:
        return
    stats = environment.stats
    Path(target).write_text(
        json.dumps(
            {
                "duration_s": max(stats.last_request_timestamp - stats.start_time, 1e-9)
                if stats.last_request_timestamp
                else 0,
                "samples": SAMPLES,
                "statuses": STATUSES,
                "import_job": IMPORT_JOB,
                "per_route": {
                    name: {
                        "count": entry.num_requests,
                        "failures": entry.num_failures,
                        "p50": entry.get_response_time_percentile(0.5),
                        "p95": entry.get_response_time_percentile(0.95),
                    }
                    for (name, _method), entry in stats.entries.items()
                },
            }
        )
    )


def _token(user: HttpUser, who: str) -> str:
    """One login per identity for the whole run (the users sharing it wait for it)."""
    if LOGIN_EACH:  # every user logs in for itself, all at start: a login storm
        return _login(user, who)
    with _locks[who]:
        if who not in _tokens:
            _tokens[who] = _login(user, who)
        return _tokens[who]


def _login(user: HttpUser, who: str) -> str:
    client = next((c for c in DEMO["clients"] if c["client_id"] == who), None)
    if client is not None:
        response = user.client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": who,
                "client_secret": client["client_secret"],
                "scope": " ".join(client["scopes"]),
            },
            name="auth POST /oauth/token",
        )
    else:
        person = next(u for u in DEMO["users"] if u["username"] == who)
        response = user.client.post(
            "/v1/auth/login",
            json={"username": who, "password": person["password"]},
            name="auth POST /v1/auth/login",
        )
    return str(response.json()["access_token"])


class FrontEndUser(HttpUser):
    """A person of the council using the front end: dashboard, plan, actions, board."""

    wait_time = between(1, 3) if PROFILE == "day" else constant(0)

    def on_start(self) -> None:
        who = random.choice(PEOPLE)
        self.client.headers["Authorization"] = f"Bearer {_token(self, who)}"
        self.action_ids = [1, 2, 3]
        response = self.client.get("/v1/actions?limit=50", name="read GET /v1/actions")
        if response.status_code == 200:
            self.action_ids = [a["action_id"] for a in response.json()["items"]] or [1]

    @task(5)
    def dashboard(self) -> None:
        self.client.get("/v1/dashboard", name="read GET /v1/dashboard")

    @task(4)
    def series(self) -> None:
        code = random.choice(COUNCIL_INDICATORS)
        self.client.get(f"/v1/series?indicator={code}&org_unit=WIRRAL", name="read GET /v1/series")

    @task(2)
    def drill_down(self) -> None:
        code = random.choice(COUNCIL_INDICATORS)
        self.client.get(
            f"/v1/dashboard/drill-down?indicator={code}&period={random.choice(MONTHS)}"
            # managers must say why they read worker-level figures (recorded)
            "&purpose=monthly+performance+review",
            name="read GET /v1/dashboard/drill-down",
        )

    @task(2)
    def values(self) -> None:
        code = random.choice(COUNCIL_INDICATORS)
        self.client.get(f"/v1/values?indicator={code}&limit=50", name="read GET /v1/values")

    @task(4)
    def actions(self) -> None:
        self.client.get("/v1/actions?limit=20", name="read GET /v1/actions")

    @task(3)
    def action(self) -> None:
        action_id = random.choice(self.action_ids)
        self.client.get(f"/v1/actions/{action_id}", name="read GET /v1/actions/{action_id}")

    @task(3)
    def board(self) -> None:
        self.client.get("/v1/board-summary", name="read GET /v1/board-summary")

    @task(2)
    def plan(self) -> None:
        self.client.get("/v1/plans", name="read GET /v1/plans")
        self.client.get("/v1/themes", name="read GET /v1/themes")

    @task(1)
    def risks(self) -> None:
        self.client.get("/v1/risks", name="read GET /v1/risks")

    @task(1)
    def indicators(self) -> None:
        self.client.get("/v1/indicators?limit=50", name="read GET /v1/indicators")


class PartnerSystem(HttpUser):
    """A partner's system posting its monthly figures in batches."""

    fixed_count = 3
    wait_time = between(5, 10)

    started = 0

    def on_start(self) -> None:
        # one instance per partner: a partner's system does not race itself
        self.who = sorted(PARTNER_ROWS)[PartnerSystem.started % len(PARTNER_ROWS)]
        PartnerSystem.started += 1
        self.client.headers["Authorization"] = f"Bearer {_token(self, self.who)}"

    @task
    def post_batch(self) -> None:
        rows = [
            {
                "indicator": code,
                "period": month,
                "org_unit": "WIRRAL",
                "value": random.randint(0, 400),
            }
            for code in PARTNER_ROWS[self.who]
            for month in random.sample(MONTHS, 6)
        ]
        self.client.post(
            "/v1/submissions",
            json={"mode": "partial", "rows": rows},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="submit POST /v1/submissions",
        )


class NightlyImport(HttpUser):
    """The nightly case-management export: one upload, then polling until the job is done."""

    fixed_count = 1
    wait_time = constant(2)
    done = False

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {_token(self, 'demo-council')}"
        self.job: str | None = None

    @task
    def nightly(self) -> None:
        if self.done:
            time.sleep(2)
            return
        if self.job is None:
            folder = Path(os.environ["LOAD_IMPORT_DIR"])
            files = [
                ("files", (p.name, p.read_bytes(), "text/csv"))
                for p in sorted(folder.glob("*.csv"))
            ]
            response = self.client.post(
                "/v1/imports",
                data={"kind": "annex_a", "collection_year": "2022", "population": "70000"},
                files=files,
                name="import POST /v1/imports",
            )
            if response.status_code in (200, 202):
                self.job = str(response.json()["id"])
                self.started = time.monotonic()
            return
        response = self.client.get(f"/v1/imports/{self.job}", name="import GET /v1/imports/{id}")
        if response.status_code == 200 and response.json()["status"] not in ("queued", "running"):
            NightlyImport.done = True
            IMPORT_JOB["seconds"] = time.monotonic() - self.started
            IMPORT_JOB["status"] = response.json()["status"]


if PROFILE == "baseline":  # one person, no partners, no import: the unloaded latencies
    PartnerSystem.fixed_count = 0
    NightlyImport.fixed_count = 0
