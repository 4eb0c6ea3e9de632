"""Gathering the evidence of every criterion and recommendation through the gateway.

One :class:`Snapshot` holds what was read (criteria, criterion → indicator links, actions,
recommendations, audit programmes and their criteria, graded audits, findings, and the
series of each linked indicator at the authority); :func:`criterion_evidence` and
:func:`recommendation_evidence` cut it into the rule's :class:`Evidence`.

Only aggregate, team-free fields are kept: an audit's id, programme, date and final grade
(never its case reference, team or worker); a finding's id, audit, re-check outcome and
whether it is overdue or closed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from services.board.reader import Reader
from services.board.working.rule import (
    ActionFact,
    AuditFact,
    Evidence,
    FindingFact,
    IndicatorFact,
)

#: how many indicator series are read at once through the gateway
CONCURRENCY = 8


@dataclass
class Snapshot:
    criteria: list[dict[str, Any]]
    links: list[dict[str, Any]]
    actions: list[ActionFact]
    action_docs: dict[int, dict[str, Any]]
    recommendations: list[dict[str, Any]]
    programme_criteria: dict[int, set[str]]
    programmes: dict[int, dict[str, Any]]
    audits: list[AuditFact]
    findings: list[FindingFact]
    series: dict[str, dict[str, Any]]
    releases: dict[str, str | None] = field(default_factory=dict)
    #: per indicator, its published values at the authority: period, release id, approved at
    published: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: team-free facts of every audit and finding the reader sees (for "what changed")
    audit_docs: dict[int, dict[str, Any]] = field(default_factory=dict)
    finding_docs: dict[int, dict[str, Any]] = field(default_factory=dict)
    risks: list[dict[str, Any]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


def _action(doc: dict[str, Any]) -> ActionFact:
    return ActionFact(
        action_id=int(doc["action_id"]),
        ref=str(doc["ref"]),
        title=str(doc["title"]),
        status=str(doc["status"]),
        overdue=bool(doc["overdue"]),
        declared_rag=doc.get("declared_rag"),
        lead_agency=str(doc["lead_agency"]),
        agencies=tuple(sorted({doc["lead_agency"], *doc.get("contributing_agencies", [])})),
    )


def published_points(series: dict[str, Any]) -> list[dict[str, Any]]:
    """The series' points that are published (approved) and carry a value."""
    return [p for p in series.get("points", []) if p.get("state") == "approved" and p["value"]]


async def gather(reader: Reader, authority: str) -> Snapshot:
    (
        plans,
        criteria,
        links,
        action_docs,
        recommendations,
        programmes,
        audits,
        findings,
        risks,
    ) = await asyncio.gather(
        reader.items("/v1/plans"),
        reader.items("/v1/success-criteria"),
        reader.items("/v1/success-criteria/indicators"),
        reader.items("/v1/actions"),
        reader.items("/v1/recommendations"),
        reader.items("/v1/audit-programmes"),
        reader.items("/v1/audits"),
        reader.items("/v1/findings"),
        reader.items("/v1/risks"),
    )
    # a refreshed plan's closed edition keeps its criteria, actions, recommendations and
    # risks as history: the board judges the live editions only, and counts what it left out
    live = live_plans(plans)
    skipped: dict[str, int] = {}
    criteria, links, action_docs, recommendations, risks = (
        _of_live(rows, live, skipped)
        for rows in (criteria, links, action_docs, recommendations, risks)
    )
    programme_criteria: dict[int, set[str]] = {}
    for programme in programmes:
        rows = await reader.items(f"/v1/audit-programmes/{programme['programme_id']}/criteria")
        programme_criteria[int(programme["programme_id"])] = {r["criterion_code"] for r in rows}
    codes = sorted({link["indicator_code"] for link in links})
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(code: str) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
        async with gate:
            series = await reader.get("/v1/series", {"indicator": code, "org_unit": authority})
            values = await reader.items("/v1/values", {"indicator": code, "org_unit": authority})
            published = [
                {
                    "period": v["period"],
                    "release_id": str(v["release_id"]),
                    "approved_at": v.get("approved_at"),
                }
                for v in values
                if v.get("release_id")
            ]
            return code, series, published

    read = await asyncio.gather(*(one(c) for c in codes))
    graded = [a for a in audits if a.get("final_grade")]
    skipped["audits_not_graded"] = len(audits) - len(graded)
    return Snapshot(
        criteria=criteria,
        links=links,
        actions=[_action(a) for a in action_docs],
        action_docs={int(a["action_id"]): a for a in action_docs},
        recommendations=recommendations,
        programme_criteria=programme_criteria,
        programmes={int(p["programme_id"]): p for p in programmes},
        audits=[
            AuditFact(
                audit_id=int(a["audit_id"]),
                programme_id=int(a["programme_id"]),
                audit_date=date.fromisoformat(a["audit_date"]),
                grade=str(a["final_grade"]),
            )
            for a in graded
        ],
        findings=[
            FindingFact(
                finding_id=int(f["finding_id"]),
                audit_id=int(f["audit_id"]),
                recheck_outcome=f.get("recheck_outcome"),
                is_overdue=bool(f.get("is_overdue")),
                closed=f.get("status") == "closed",
            )
            for f in findings
        ],
        series={code: series for code, series, _ in read},
        releases={code: _latest_release(series, vals) for code, series, vals in read},
        published={code: vals for code, _, vals in read},
        audit_docs={int(a["audit_id"]): _audit_doc(a) for a in audits},
        finding_docs={int(f["finding_id"]): _finding_doc(f) for f in findings},
        risks=risks,
        skipped=skipped,
    )


def live_plans(plans: list[dict[str, Any]]) -> set[int]:
    """The plans not closed (every plan when all are closed: the board then shows the last
    editions rather than nothing)."""
    live = {int(p["plan_id"]) for p in plans if p.get("status") != "closed"}
    return live or {int(p["plan_id"]) for p in plans}


def _of_live(
    rows: list[dict[str, Any]], live: set[int], skipped: dict[str, int]
) -> list[dict[str, Any]]:
    kept = [r for r in rows if int(r["plan_id"]) in live]
    if len(kept) < len(rows):
        skipped["closed_edition_items"] = (
            skipped.get("closed_edition_items", 0) + len(rows) - len(kept)
        )
    return kept


def _latest_release(series: dict[str, Any], published: list[dict[str, Any]]) -> str | None:
    points = published_points(series)
    if not points:
        return None
    found = [v["release_id"] for v in published if v["period"] == points[-1]["period"]]
    return found[-1] if found else None


def _audit_doc(a: dict[str, Any]) -> dict[str, Any]:
    """An audit without its case reference, team or worker."""
    return {
        "audit_id": int(a["audit_id"]),
        "programme_id": int(a["programme_id"]),
        "audit_date": a["audit_date"],
        "status": a["status"],
        "final_grade": a.get("final_grade"),
        "closed_at": a.get("closed_at"),
        "lead_agency": a.get("lead_agency"),
    }


def _finding_doc(f: dict[str, Any]) -> dict[str, Any]:
    """A finding without its owner's name or description (free text may name people)."""
    return {
        "finding_id": int(f["finding_id"]),
        "audit_id": int(f["audit_id"]),
        "severity": f.get("severity"),
        "agency": f.get("agency"),
        "status": f.get("status"),
        "due_date": f.get("due_date"),
        "closed_at": f.get("closed_at"),
        "is_overdue": bool(f.get("is_overdue")),
        "recheck_outcome": f.get("recheck_outcome"),
    }


def _indicator(link: dict[str, Any], series: dict[str, Any], release: str | None) -> IndicatorFact:
    points = published_points(series)
    latest = points[-1] if points else None
    previous = points[-2] if len(points) >= 2 else None
    if (
        previous is not None
        and latest is not None
        and previous.get("definition_version") != latest.get("definition_version")
    ):
        previous = None  # a definition change breaks the direction of travel
    spc = (latest or {}).get("spc") or {}
    return IndicatorFact(
        code=str(link["indicator_code"]),
        name=str(series.get("name") or link["indicator_code"]),
        target=Decimal(str(link["target_value"])),
        direction=link["direction"],
        by_date=date.fromisoformat(str(link["by_date"])),
        latest_value=Decimal(str(latest["value"])) if latest else None,
        latest_period=latest["period"] if latest else None,
        previous_value=Decimal(str(previous["value"])) if previous else None,
        release_id=release,
        signals=tuple(spc.get("signals") or ()),
        mean=spc.get("mean"),
    )


def criterion_evidence(snap: Snapshot, criterion: dict[str, Any]) -> Evidence:
    plan_id, code = criterion["plan_id"], criterion["code"]
    actions = [
        a
        for a in snap.actions
        if snap.action_docs[a.action_id]["plan_id"] == plan_id
        and snap.action_docs[a.action_id]["criterion_code"] == code
    ]
    links = [k for k in snap.links if k["criterion_id"] == criterion["criterion_id"]]
    return _evidence(snap, actions, links, {code})


def recommendation_evidence(snap: Snapshot, recommendation: dict[str, Any]) -> Evidence:
    """A recommendation's evidence: its linked actions, and the indicators and audits of
    the criteria those actions serve."""
    ids = {int(a["action_id"]) for a in recommendation["actions"]}
    actions = [a for a in snap.actions if a.action_id in ids]
    keys = {
        (snap.action_docs[a.action_id]["plan_id"], snap.action_docs[a.action_id]["criterion_code"])
        for a in actions
    }
    criterion_ids = {c["criterion_id"] for c in snap.criteria if (c["plan_id"], c["code"]) in keys}
    links = [k for k in snap.links if k["criterion_id"] in criterion_ids]
    return _evidence(snap, actions, links, {code for _, code in keys})


def _evidence(
    snap: Snapshot, actions: list[ActionFact], links: list[dict[str, Any]], codes: set[str]
) -> Evidence:
    programmes = sorted(p for p, linked in snap.programme_criteria.items() if linked & codes)
    audits = [a for a in snap.audits if a.programme_id in programmes]
    audit_ids = {a.audit_id for a in audits}
    return Evidence(
        actions=actions,
        indicators=[
            _indicator(
                k, snap.series.get(k["indicator_code"], {}), snap.releases.get(k["indicator_code"])
            )
            for k in links
        ],
        audits=audits,
        findings=[f for f in snap.findings if f.audit_id in audit_ids],
        programme_ids=programmes,
    )


def agencies_of(evidence: Evidence, snap: Snapshot) -> set[str]:
    """The agencies that take part: in a linked action, or a linked audit programme."""
    found: set[str] = set()
    for a in evidence.actions:
        found.update(a.agencies)
    for p in evidence.programme_ids:
        doc = snap.programmes.get(p, {})
        found.update([doc.get("lead_agency", ""), *doc.get("participating_agencies", [])])
    found.discard("")
    return found
