"""The "is it working?" rule: one place, versioned, shown with every status.

Input is the evidence linked to one success criterion (or to one Ofsted recommendation, via
its actions and their criteria), read through the gateway; output is a status with the
reasons that made it, each reason naming its evidence (action id, release id, audit id,
finding id). The rule is pure: same evidence, same answer.

Rule ``RULE_VERSION`` (served at ``GET /v1/board/status-rule``; README, "The board"):

1. **Streams.** Outcome evidence comes from two streams: indicators (criterion → indicator
   links with a latest *published* value) and audits (graded audits of programmes linked
   to the criterion). Actions and findings are activity: they add reasons but never make a
   status alone.
2. **Indicator verdict**, per linked indicator with a published value:
   ``good`` when the latest value meets the link's target in its direction (``up``:
   value ≥ target; ``down``: value ≤ target); otherwise ``improving`` when the last step
   moved in the target's direction or the latest point carries an SPC signal on the
   favourable side of the mean; ``bad`` when the last step moved away or the latest point
   carries a signal on the unfavourable side; else ``flat``.
3. **Audit verdict**, over the graded audits (final grade) of the linked programmes, in
   date order: share good or better (``good``/``outstanding``) overall; trend = share of
   the later half minus share of the earlier half (with two or more audits). ``good`` when
   the share is ≥ ``GOOD_SHARE`` (0.75) and the trend is not down, or when the trend is up
   and the later half reaches ``GOOD_SHARE`` (practice that improved to good);
   ``improving`` when the trend is up; ``bad`` when the trend is down or the share is
   < ``POOR_SHARE`` (0.5); else ``flat``. Findings re-checked ``not_effective`` make the
   audit verdict no better than ``flat``.
4. **Status**: no stream with evidence → ``no evidence`` (never ``working``); every
   verdict ``good`` → ``working``; every verdict ``good`` or ``improving`` →
   ``improving``; every verdict ``bad`` → ``not working``; otherwise ``not yet``.
5. **Declared RAG** beside it: the worst declared RAG of the linked actions. Disagreement
   is flagged when declared green while the status is ``not working``, ``not yet`` or
   ``no evidence`` (green is a claim the evidence does not back), or declared red while
   the status is ``working``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

RULE_VERSION = "working-rule/1 (2026-12-04)"
GOOD_SHARE = Decimal("0.75")
POOR_SHARE = Decimal("0.5")
GOOD_GRADES = frozenset({"good", "outstanding"})
RAG_ORDER = {"green": 0, "amber": 1, "red": 2}

Status = Literal["working", "improving", "not yet", "not working", "no evidence"]
Verdict = Literal["good", "improving", "flat", "bad"]
STATUSES: tuple[str, ...] = ("working", "improving", "not yet", "not working", "no evidence")


@dataclass(frozen=True)
class ActionFact:
    action_id: int
    ref: str
    title: str
    status: str
    overdue: bool
    declared_rag: str | None
    lead_agency: str
    agencies: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorFact:
    code: str
    name: str
    target: Decimal
    direction: Literal["up", "down"]
    by_date: date
    latest_value: Decimal | None
    latest_period: str | None
    previous_value: Decimal | None
    release_id: str | None
    signals: tuple[str, ...]
    mean: float | None


@dataclass(frozen=True)
class AuditFact:
    audit_id: int
    programme_id: int
    audit_date: date
    grade: str


@dataclass(frozen=True)
class FindingFact:
    finding_id: int
    audit_id: int
    recheck_outcome: str | None
    is_overdue: bool
    closed: bool


@dataclass(frozen=True)
class Evidence:
    actions: Sequence[ActionFact] = ()
    indicators: Sequence[IndicatorFact] = ()
    audits: Sequence[AuditFact] = ()
    findings: Sequence[FindingFact] = ()
    programme_ids: Sequence[int] = ()


@dataclass(frozen=True)
class EvidenceRef:
    kind: Literal["action", "release", "indicator", "audit", "finding", "programme"]
    id: str


@dataclass(frozen=True)
class Reason:
    stream: Literal["actions", "indicator", "audits", "findings", "evidence"]
    verdict: Verdict | None
    text: str
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True)
class Judgement:
    status: Status
    reasons: tuple[Reason, ...]
    declared_rag: str | None
    disagrees: bool
    rule_version: str = RULE_VERSION
    counts: dict[str, int] = field(default_factory=dict)


def meets(value: Decimal, target: Decimal, direction: str) -> bool:
    return value >= target if direction == "up" else value <= target


def _toward(new: Decimal, old: Decimal, direction: str) -> int:
    """+1 moved toward the target's direction, -1 away, 0 same."""
    if new == old:
        return 0
    better = new > old if direction == "up" else new < old
    return 1 if better else -1


def indicator_verdict(fact: IndicatorFact) -> tuple[Verdict, str]:
    assert fact.latest_value is not None
    value = fact.latest_value
    step = 0 if fact.previous_value is None else _toward(value, fact.previous_value, fact.direction)
    side = 0
    if fact.signals and fact.mean is not None:
        side = _toward(value, Decimal(str(fact.mean)), fact.direction)
    signal = f" SPC signal ({', '.join(fact.signals)})" if fact.signals else ""
    where = f"{fact.code} {value} in {fact.latest_period} against target {fact.target}"
    if meets(value, fact.target, fact.direction):
        return "good", f"{where}: target met.{signal}".rstrip(".") + "."
    if step > 0 or side > 0:
        return "improving", f"{where}: not met, moving toward it.{signal}".rstrip(".") + "."
    if step < 0 or side < 0:
        return "bad", f"{where}: not met, moving away.{signal}".rstrip(".") + "."
    return "flat", f"{where}: not met, no change."


def share_good(audits: Sequence[AuditFact]) -> Decimal:
    return Decimal(sum(a.grade in GOOD_GRADES for a in audits)) / Decimal(len(audits))


def audit_verdict(audits: Sequence[AuditFact]) -> tuple[Verdict, str, Decimal, Decimal | None]:
    ordered = sorted(audits, key=lambda a: (a.audit_date, a.audit_id))
    share = share_good(ordered)
    trend: Decimal | None = None
    if len(ordered) >= 2:
        half = len(ordered) // 2
        trend = share_good(ordered[len(ordered) - half :]) - share_good(ordered[:half])
    later = share_good(ordered[len(ordered) - len(ordered) // 2 :]) if trend is not None else share
    verdict: Verdict
    if (share >= GOOD_SHARE and (trend is None or trend >= 0)) or (
        trend is not None and trend > 0 and later >= GOOD_SHARE
    ):
        verdict = "good"
    elif trend is not None and trend > 0:
        verdict = "improving"
    elif (trend is not None and trend < 0) or share < POOR_SHARE:
        verdict = "bad"
    else:
        verdict = "flat"
    pct = (share * 100).quantize(Decimal("1"))
    moved = "" if trend is None else f", trend {(trend * 100).quantize(Decimal('1')):+}"
    text = f"{len(ordered)} graded audit(s): {pct}% good or better{moved} points."
    return verdict, text, share, trend


def judge(evidence: Evidence) -> Judgement:
    """The status of one criterion (or recommendation) from its evidence."""
    reasons: list[Reason] = []
    verdicts: list[Verdict] = []
    published = [i for i in evidence.indicators if i.latest_value is not None]
    for fact in sorted(published, key=lambda i: i.code):
        verdict, text = indicator_verdict(fact)
        verdicts.append(verdict)
        refs = [EvidenceRef("indicator", fact.code)]
        if fact.release_id:
            refs.append(EvidenceRef("release", fact.release_id))
        reasons.append(Reason("indicator", verdict, text, tuple(refs)))
    for fact in sorted(evidence.indicators, key=lambda i: i.code):
        if fact.latest_value is None:
            reasons.append(
                Reason(
                    "indicator",
                    None,
                    f"{fact.code}: no published value yet.",
                    (EvidenceRef("indicator", fact.code),),
                )
            )
    rechecks_failed = [f for f in evidence.findings if f.recheck_outcome == "not_effective"]
    rechecks_ok = [f for f in evidence.findings if f.recheck_outcome == "effective"]
    if evidence.audits:
        verdict, text, _share, _trend = audit_verdict(evidence.audits)
        if rechecks_failed and verdict in ("good", "improving"):
            verdict = "flat"
            text += " Re-checked findings not effective hold it back."
        verdicts.append(verdict)
        audit_refs = tuple(
            EvidenceRef("audit", str(a.audit_id))
            for a in sorted(evidence.audits, key=lambda a: (a.audit_date, a.audit_id))
        )
        reasons.append(Reason("audits", verdict, text, audit_refs))
    elif evidence.programme_ids:
        reasons.append(
            Reason(
                "audits",
                None,
                "linked audit programme(s) have no graded audit yet.",
                tuple(EvidenceRef("programme", str(p)) for p in sorted(evidence.programme_ids)),
            )
        )
    if rechecks_ok or rechecks_failed:
        reasons.append(
            Reason(
                "findings",
                None,
                f"findings re-checked: {len(rechecks_ok)} effective, "
                f"{len(rechecks_failed)} not effective.",
                tuple(
                    EvidenceRef("finding", str(f.finding_id))
                    for f in sorted([*rechecks_ok, *rechecks_failed], key=lambda f: f.finding_id)
                ),
            )
        )
    overdue_findings = [f for f in evidence.findings if f.is_overdue and not f.closed]
    if overdue_findings:
        reasons.append(
            Reason(
                "findings",
                None,
                f"{len(overdue_findings)} finding(s) overdue.",
                tuple(EvidenceRef("finding", str(f.finding_id)) for f in overdue_findings),
            )
        )
    done = [a for a in evidence.actions if a.status in ("completed", "embedded")]
    overdue = [a for a in evidence.actions if a.overdue and a not in done]
    on_track = [a for a in evidence.actions if a not in done and a not in overdue]
    if evidence.actions:
        reasons.append(
            Reason(
                "actions",
                None,
                f"actions: {len(done)} done, {len(on_track)} on track, {len(overdue)} overdue.",
                tuple(
                    EvidenceRef("action", str(a.action_id))
                    for a in sorted(evidence.actions, key=lambda a: a.action_id)
                ),
            )
        )
    status: Status
    if not verdicts:
        status = "no evidence"
        reasons.insert(
            0,
            Reason(
                "evidence",
                None,
                "no published indicator value and no graded audit is linked: "
                "nothing shows whether it works.",
            ),
        )
    elif all(v == "good" for v in verdicts):
        status = "working"
    elif all(v in ("good", "improving") for v in verdicts):
        status = "improving"
    elif all(v == "bad" for v in verdicts):
        status = "not working"
    else:
        status = "not yet"
    declared = worst_rag(a.declared_rag for a in evidence.actions)
    return Judgement(
        status=status,
        reasons=tuple(reasons),
        declared_rag=declared,
        disagrees=disagrees(status, declared),
        counts={
            "actions_done": len(done),
            "actions_on_track": len(on_track),
            "actions_overdue": len(overdue),
            "indicators_linked": len(evidence.indicators),
            "indicators_published": len(published),
            "audits_graded": len(evidence.audits),
            "findings_rechecked_effective": len(rechecks_ok),
            "findings_rechecked_not_effective": len(rechecks_failed),
        },
    )


def worst_rag(rags: Iterable[str | None]) -> str | None:
    found = [r for r in rags if r is not None and r in RAG_ORDER]
    return max(found, key=lambda r: RAG_ORDER[r]) if found else None


def disagrees(status: str, declared: str | None) -> bool:
    if declared == "green":
        return status in ("not working", "not yet", "no evidence")
    if declared == "red":
        return status == "working"
    return False
