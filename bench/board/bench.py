"""Benchmark the board: the whole plan's pack, and every criterion's status warm.

    .venv/bin/python -m bench.board.bench [--requests 200]

The evidence is the whole plan's size — 87 actions over 22 criteria, 45 indicators × 36
monthly published points (with SPC) each linked to a criterion, 100 graded audits in 10
programmes, 60 findings, 20 risks — held as the gateway's JSON answers (bytes) and decoded on
each read, as the board's reader does. No PostgreSQL: the status routes use none, and the
pack's own write (one row) is left out; what is timed is reading, judging, building and
rendering.

1. Pack: read (decode) + build + HTML + PDF, cold (nothing kept from an earlier run), the
   median of three; then the same pack's PDF read again (kept by its digest). Baseline in
   the same run: reading (decoding) the same evidence alone.
2. Statuses: ``GET /v1/board/criteria-status`` through the board app (token check, JSON)
   with the evidence cached (warm), ``--requests`` times; baseline in the same run:
   ``GET /v1/board/status-rule`` on the same app and transport.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from services.board.config import BoardSettings
from services.board.main import create_app
from services.board.packs import build, render
from services.board.working.evidence import gather
from services.board.working.service import EvidenceCache
from shared.identity import InternalTokenVerifier
from tests.support.tokens import ISSUER, auth_header, caller, internal_keys

GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
RAGS = ("red", "amber", "green")


def evidence(seed: int = 16) -> dict[str, Any]:
    rng = random.Random(seed)
    criteria = [
        {
            "criterion_id": i + 1,
            "plan_id": 1,
            "theme_number": 1 + i // 5,
            "code": f"{1 + i // 5}{'ABCDE'[i % 5]}",
            "text": f"Success criterion {i + 1}",
        }
        for i in range(22)
    ]
    actions = []
    for i in range(87):
        c = criteria[i % len(criteria)]
        actions.append(
            {
                "action_id": i + 1,
                "plan_id": 1,
                "ref": f"{c['code']}{1 + i // 22}",
                "criterion_code": c["code"],
                "title": f"Action {i + 1}",
                "status": rng.choice(["in_progress", "completed", "not_started", "blocked"]),
                "overdue": rng.random() < 0.2,
                "declared_rag": rng.choice(RAGS),
                "computed_rag": rng.choice(RAGS),
                "percent_complete": rng.randint(0, 100),
                "lead_agency": rng.choice(["council", "police", "ccg", "probation"]),
                "contributing_agencies": ["council"],
                "last_update_at": "2026-01-01T09:00:00Z",
                "completed_at": None,
            }
        )
    links, series, values = [], {}, {}
    start = date(2023, 4, 1)
    for k in range(45):
        code = f"IND_{k:02d}"
        links.append(
            {
                "criterion_id": criteria[k % 20]["criterion_id"],
                "plan_id": 1,
                "indicator_code": code,
                "target_value": "70",
                "direction": "up",
                "by_date": "2027-03-31",
            }
        )
        points, vals, level = [], [], 50.0
        for m in range(36):
            level += rng.uniform(-2, 3)
            period = (
                f"{start.year + (start.month + m - 1) // 12}-{(start.month + m - 1) % 12 + 1:02d}"
            )
            points.append(
                {
                    "period": period,
                    "value": f"{level:.1f}",
                    "state": "approved",
                    "definition_version": 1,
                    "spc": {
                        "mean": 55.0,
                        "upper_limit": 70.0,
                        "lower_limit": 40.0,
                        "signals": ["trend"] if m > 30 else [],
                    },
                }
            )
            vals.append(
                {
                    "period": period,
                    "release_id": f"rel-{k}-{m}",
                    "approved_at": "2026-01-02T09:00:00Z",
                }
            )
        series[code] = {
            "name": f"Indicator {k}",
            "benchmarks": [
                {"comparator": "england", "period": "2025/26", "value": "60", "source": "DfE"}
            ],
            "points": points,
        }
        values[code] = {"items": vals, "total": len(vals), "limit": 200, "offset": 0}
    programmes = [
        {"programme_id": p + 1, "lead_agency": "council", "participating_agencies": ["police"]}
        for p in range(10)
    ]
    audits = [
        {
            "audit_id": a + 1,
            "programme_id": a % 10 + 1,
            "audit_date": str(date(2025, 1, 1) + timedelta(days=3 * a)),
            "status": "closed",
            "final_grade": rng.choice(GRADES),
            "closed_at": "2026-02-01T09:00:00Z",
            "lead_agency": "council",
            "case_ref": "X",
            "team_code": "T",
            "worker_code": None,
        }
        for a in range(100)
    ]
    findings = [
        {
            "finding_id": f + 1,
            "audit_id": f + 1,
            "severity": "medium",
            "agency": "council",
            "status": rng.choice(["open", "closed"]),
            "due_date": "2026-01-01",
            "closed_at": None,
            "is_overdue": rng.random() < 0.3,
            "recheck_outcome": rng.choice([None, "effective", "not_effective"]),
        }
        for f in range(60)
    ]
    risks = [
        {
            "risk_id": r + 1,
            "plan_id": 1,
            "risk": f"Risk {r + 1}",
            "score_before": 12,
            "score_after": 6,
            "status": "open",
            "updated_at": "2026-02-01T09:00:00Z",
        }
        for r in range(20)
    ]
    answers: dict[str, Any] = {
        "/v1/plans": [{"plan_id": 1, "status": "active"}],
        "/v1/success-criteria": criteria,
        "/v1/success-criteria/indicators": links,
        "/v1/actions": {"items": actions, "total": len(actions)},
        "/v1/recommendations": [
            {
                "recommendation_id": r + 1,
                "plan_id": 1,
                "source": "ofsted",
                "number": r + 1,
                "text": f"Recommendation {r + 1}",
                "actions": [{"action_id": 1 + r * 4, "ref": "x"}],
            }
            for r in range(19)
        ],
        "/v1/audit-programmes": {"items": programmes, "total": 10},
        "/v1/audits": {"items": audits, "total": 100},
        "/v1/findings": {"items": findings, "total": 60},
        "/v1/risks": risks,
        # the audit service's latest signed trail checkpoint, which the pack pins
        "/v1/trail/checkpoints/latest": {
            "checkpoint": {
                "seq": 1000,
                "hash": "ab" * 32,
                "created_at": "2026-03-01T09:00:00+00:00",
                "key_id": "trail-key-1",
                "signature": "c2lnbmF0dXJl",
            }
        },
    }
    for p in programmes:
        answers[f"/v1/audit-programmes/{p['programme_id']}/criteria"] = [
            {"criterion_code": criteria[int(str(p["programme_id"])) - 1]["code"]}
        ]
    for a in actions:
        answers[f"/v1/actions/{a['action_id']}/updates"] = {
            "items": [
                {
                    "update_id": a["action_id"],
                    "update_date": "2026-01-01",
                    "created_at": "2026-01-01T09:00:00Z",
                    "declared_rag": "red",
                    "percent_complete": 0,
                }
            ],
            "total": 1,
        }
    for code in series:
        answers[f"/v1/series?{code}"] = series[code]
        answers[f"/v1/values?{code}"] = values[code]
    return answers


class JsonReader:
    """The gateway's answers as JSON bytes, decoded on every read (as the real reader does)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.raw = {k: json.dumps(v).encode() for k, v in answers.items()}

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        key = f"{path}?{params['indicator']}" if params and "indicator" in params else path
        return json.loads(self.raw[key])

    async def items(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        found = await self.get(path, params)
        return list(found["items"] if isinstance(found, dict) else found)


async def read_raw(reader: JsonReader) -> None:
    for key in reader.raw:
        json.loads(reader.raw[key])


async def pack_once(reader: JsonReader) -> tuple[float, float, int, int, float]:
    """One pack made and rendered cold (nothing kept from an earlier run), then its PDF
    read again as the service answers a second reader (kept by the document's digest)."""
    render.forget()
    t0 = time.perf_counter()
    snap = await gather(reader, "WIRRAL")
    now = datetime.now(UTC)
    doc = await build.build(
        reader,
        snap,
        meeting={
            "meeting_id": 2,
            "meeting_type": "improvement-board",
            "meeting_date": "2026-03-10",
            "title": "Improvement Board",
            "attendees": [{"agency": "council"}],
        },
        previous={"meeting_id": 1, "meeting_date": "2025-12-10", "title": "Improvement Board"},
        since=build.since_of({"meeting_date": "2025-12-10"}, None),
        evidence_read_at=now,
        made_at=now,
    )
    html = render.html_of(doc)
    t1 = time.perf_counter()
    pdf = render.pdf_of(doc)
    t2 = time.perf_counter()
    again = render.pdf_of(doc)
    t3 = time.perf_counter()
    assert again == pdf
    return t2 - t0, t2 - t1, len(html), len(pdf), t3 - t2


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


async def main(requests: int) -> None:
    reader = JsonReader(evidence())
    base = []
    for _ in range(3):
        t0 = time.perf_counter()
        await read_raw(reader)
        base.append(time.perf_counter() - t0)
    runs = [await pack_once(reader) for _ in range(3)]
    pack = statistics.median(r[0] for r in runs)
    pdf = statistics.median(r[1] for r in runs)
    raw = statistics.median(base)
    again = statistics.median(r[4] for r in runs)
    print(
        f"pack (read+build+html+pdf), median of 3: {pack:.3f} s (pdf {pdf:.3f} s); "
        f"html {runs[0][2]:,} B, pdf {runs[0][3]:,} B"
    )
    print(f"the same pack's PDF read again (kept): {again * 1000:.1f} ms")
    print(f"baseline raw read of the same evidence: {raw * 1000:.1f} ms; ratio {pack / raw:.0f}")

    app = create_app(BoardSettings(profile="test"))
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="board")
    app.state.evidence = EvidenceCache(reader, "WIRRAL", 3600)
    headers = auth_header(caller("council", ("viewer",), subject="bench"), "board")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://board") as client:
        r = await client.get("/v1/board/criteria-status", headers=headers)  # warms the cache
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == 22
        timings: dict[str, list[float]] = {}
        for path in ("/v1/board/status-rule", "/v1/board/criteria-status"):
            for _ in range(20):
                await client.get(path, headers=headers)
            samples = []
            for _ in range(requests):
                t0 = time.perf_counter()
                r = await client.get(path, headers=headers)
                samples.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200
            timings[path] = samples
    for path, samples in timings.items():
        print(f"{path}: p50 {statistics.median(samples):.2f} ms, p95 {p95(samples):.2f} ms")
    ratio = p95(timings["/v1/board/criteria-status"]) / p95(timings["/v1/board/status-rule"])
    print(f"criteria-status p95 / status-rule p95: {ratio:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(main(parser.parse_args().requests))
