"""What a board pack holds, built from evidence read through the gateway.

The document is plain JSON (figures as strings, dates ISO), ordered deterministically, so
the same pins render the same bytes. It names what changed since the previous meeting of
the same type (``since``: when that meeting's latest pack read its evidence, else the end of
that meeting's day; a change counts when it was recorded after it):

- actions whose declared RAG, percent complete or status moved (from their progress
  updates: the last update on or before ``since`` against now; completed since);
- indicators with a new release (a value approved after ``since``) and whether the latest
  published point carries an SPC signal;
- audits completed (closed) since, findings closed since, findings overdue now;
- risks changed since (their current scores).

Then the chain status per criterion, per theme and per agency, the recommendations'
statuses, an SPC chart per linked indicator, and the actions' RAG table.

Worker-level data never enters a pack: series are read at the authority only; audits
carry no case reference, team or worker; findings no owner or description; action
progress narratives are left out (they are free text).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from services.board.reader import Reader
from services.board.working import rule
from services.board.working.evidence import Snapshot, published_points
from services.board.working.schemas import StatusRead
from services.board.working.service import criterion_statuses, recommendation_statuses

FORMAT = "board-pack/1"


def _at(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def _after(text: str | None, since: datetime | None) -> bool:
    at = _at(text)
    return at is not None and (since is None or at > since)


def since_of(
    previous: dict[str, Any] | None, previous_pack_read_at: datetime | None
) -> datetime | None:
    """The instant changes are counted from: when the previous meeting's latest pack read
    its evidence, else the end of the previous meeting's day (UTC); none for a first meeting."""
    if previous is None:
        return None
    if previous_pack_read_at is not None:
        return previous_pack_read_at
    return datetime.combine(date.fromisoformat(previous["meeting_date"]), time.max, tzinfo=UTC)


def _s(value: Any) -> str | None:
    return None if value is None else str(value)


def _status(s: StatusRead) -> dict[str, Any]:
    return {
        "id": s.id,
        "code": s.code,
        "text": s.text,
        "status": s.status,
        "declared_rag": s.declared_rag,
        "disagrees": s.disagrees,
        "agencies": s.agencies,
        "reasons": [
            {
                "stream": r.stream,
                "verdict": r.verdict,
                "text": r.text,
                "evidence": [f"{e.kind}:{e.id}" for e in r.evidence],
            }
            for r in s.reasons
        ],
    }


def _tally(groups: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"name": name, **{st: statuses.count(st) for st in rule.STATUSES}}
        for name, statuses in sorted(groups.items())
    ]


async def changed_actions(
    reader: Reader, snap: Snapshot, since: datetime | None
) -> list[dict[str, Any]]:
    found = []
    for action_id in sorted(snap.action_docs):
        doc = snap.action_docs[action_id]
        completed = _after(doc.get("completed_at"), since)
        if not (_after(doc.get("last_update_at"), since) or completed):
            continue
        updates = await reader.items(f"/v1/actions/{action_id}/updates")
        before = [u for u in updates if since is not None and not _after(u["created_at"], since)]
        last = max(before, key=lambda u: (u["created_at"], u["update_id"])) if before else None
        rag_before = last["declared_rag"] if last else None
        pct_before = last["percent_complete"] if last else 0
        moved = []
        if rag_before != doc.get("declared_rag"):
            moved.append("rag")
        if pct_before != doc.get("percent_complete"):
            moved.append("progress")
        if completed:
            moved.append("status")
        if not moved:
            continue
        found.append(
            {
                "action_id": action_id,
                "ref": doc["ref"],
                "title": doc["title"],
                "moved": moved,
                "rag_before": rag_before,
                "rag_now": doc.get("declared_rag"),
                "percent_before": pct_before,
                "percent_now": doc.get("percent_complete"),
                "status_now": doc["status"],
                "updates_since": sum(1 for u in updates if _after(u["created_at"], since)),
            }
        )
    return found


def _chart(link: dict[str, Any], series: dict[str, Any]) -> dict[str, Any]:
    points = published_points(series)
    england = [b for b in series.get("benchmarks", []) if b.get("comparator") == "england"]
    benchmark = england[-1]["value"] if england else None
    return {
        "indicator": link["indicator_code"],
        "name": series.get("name") or link["indicator_code"],
        "target": _s(link["target_value"]),
        "direction": link["direction"],
        "benchmark": _s(benchmark),
        "points": [
            {
                "period": p["period"],
                "value": _s(p["value"]),
                "mean": _s((p.get("spc") or {}).get("mean")),
                "upper": _s((p.get("spc") or {}).get("upper_limit")),
                "lower": _s((p.get("spc") or {}).get("lower_limit")),
                "signals": list((p.get("spc") or {}).get("signals") or []),
            }
            for p in points
        ],
    }


CHECKPOINT_PATH = "/v1/trail/checkpoints/latest"


async def trail_checkpoint(reader: Reader) -> dict[str, Any] | None:
    """The latest signed trail checkpoint the pack was made against (``trail:checkpoint``,
    never the events): seq, hash, when, and the signature with its key id; none before the
    first checkpoint."""
    found = (await reader.get(CHECKPOINT_PATH))["checkpoint"]
    if found is None:
        return None
    return {k: found[k] for k in ("seq", "hash", "created_at", "key_id", "signature")}


async def build(
    reader: Reader,
    snap: Snapshot,
    *,
    meeting: dict[str, Any],
    previous: dict[str, Any] | None,
    since: datetime | None,
    evidence_read_at: datetime,
    made_at: datetime,
) -> dict[str, Any]:
    criteria = criterion_statuses(snap)
    recommendations = recommendation_statuses(snap)
    themes: dict[str, list[str]] = {}
    agencies: dict[str, list[str]] = {}
    theme_of = {c["criterion_id"]: c["theme_number"] for c in snap.criteria}
    for s in criteria:
        themes.setdefault(f"Theme {theme_of.get(s.id, '?')}", []).append(s.status)
        for agency in s.agencies:
            agencies.setdefault(agency, []).append(s.status)
    indicators = []
    for code in sorted(snap.published):
        new = [v for v in snap.published[code] if _after(v.get("approved_at"), since)]
        if not new:
            continue
        points = published_points(snap.series.get(code, {}))
        signals = list((points[-1].get("spc") or {}).get("signals") or []) if points else []
        indicators.append(
            {
                "indicator": code,
                "name": snap.series.get(code, {}).get("name") or code,
                "new_releases": sorted({v["release_id"] for v in new}),
                "periods": sorted({v["period"] for v in new}),
                "latest_signals": signals,
            }
        )
    audits_done = [
        a for _, a in sorted(snap.audit_docs.items()) if _after(a.get("closed_at"), since)
    ]
    findings_closed = [
        f for _, f in sorted(snap.finding_docs.items()) if _after(f.get("closed_at"), since)
    ]
    findings_overdue = [
        f
        for _, f in sorted(snap.finding_docs.items())
        if f["is_overdue"] and f.get("status") != "closed"
    ]
    risks = [
        {
            "risk_id": r["risk_id"],
            "risk": r["risk"],
            "score_before": r["score_before"],
            "score_after": r["score_after"],
            "status": r["status"],
        }
        for r in sorted(snap.risks, key=lambda r: r["risk_id"])
        if _after(r.get("updated_at"), since)
    ]
    linked: dict[str, dict[str, Any]] = {}
    for link in sorted(snap.links, key=lambda k: (k["indicator_code"], k["criterion_id"])):
        linked.setdefault(link["indicator_code"], link)
    return {
        "format": FORMAT,
        "rule_version": rule.RULE_VERSION,
        "made_at": made_at.isoformat(),
        "meeting": {
            "meeting_id": meeting["meeting_id"],
            "meeting_type": meeting["meeting_type"],
            "meeting_date": meeting["meeting_date"],
            "title": meeting["title"],
            "agencies": sorted({a["agency"] for a in meeting.get("attendees", [])}),
        },
        "previous_meeting": (
            None
            if previous is None
            else {
                "meeting_id": previous["meeting_id"],
                "meeting_date": previous["meeting_date"],
                "title": previous["title"],
            }
        ),
        "since": since.isoformat() if since else None,
        "since_from": (
            None
            if previous is None
            else "the previous meeting's pack"
            if since is not None and since.time() != time.max
            else "the end of the previous meeting's day"
        ),
        "pins": {
            "evidence_read_at": evidence_read_at.isoformat(),
            "releases": {code: snap.releases.get(code) for code in sorted(snap.releases)},
            "release_ids": sorted(
                {v["release_id"] for vals in snap.published.values() for v in vals}
            ),
            "trail_checkpoint": await trail_checkpoint(reader),
        },
        "changes": {
            "actions": await changed_actions(reader, snap, since),
            "indicators": indicators,
            "audits_completed": [
                {k: a[k] for k in ("audit_id", "programme_id", "audit_date", "final_grade")}
                for a in audits_done
            ],
            "findings_closed": [
                {k: f[k] for k in ("finding_id", "audit_id", "severity", "agency")}
                for f in findings_closed
            ],
            "findings_overdue": [
                {k: f[k] for k in ("finding_id", "audit_id", "severity", "agency", "due_date")}
                for f in findings_overdue
            ],
            "risks": risks,
        },
        "criteria": [_status(s) for s in criteria],
        "by_theme": _tally(themes),
        "by_agency": _tally(agencies),
        "recommendations": [_status(s) for s in recommendations],
        "charts": [_chart(linked[c], snap.series.get(c, {})) for c in sorted(linked)],
        "actions": [
            {
                "ref": a["ref"],
                "title": a["title"],
                "lead_agency": a["lead_agency"],
                "status": a["status"],
                "declared_rag": a.get("declared_rag"),
                "computed_rag": a.get("computed_rag"),
                "overdue": bool(a.get("overdue")),
            }
            for a in sorted(snap.action_docs.values(), key=lambda a: (a["ref"], a["action_id"]))
        ],
        "skipped": dict(sorted(snap.skipped.items())),
    }
