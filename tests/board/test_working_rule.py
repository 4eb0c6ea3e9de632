"""The "is it working?" rule (services/board/working/rule.py), on evidence built here.

Each expected status and share is worked out in the test from the figures it sets up.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from services.board.working import rule
from services.board.working.rule import (
    ActionFact,
    AuditFact,
    Evidence,
    FindingFact,
    IndicatorFact,
    judge,
)


def action(
    i: int, *, status: str = "in_progress", overdue: bool = False, rag: str | None = "green"
) -> ActionFact:
    return ActionFact(i, f"1A{i}", f"Action {i}", status, overdue, rag, "council", ("council",))


def indicator(
    value: str | None,
    previous: str | None = None,
    *,
    target: str = "80",
    direction: str = "up",
    signals: tuple[str, ...] = (),
    mean: float | None = None,
    release: str | None = "rel-1",
) -> IndicatorFact:
    return IndicatorFact(
        code="CP_REVIEWS",
        name="Reviews in time",
        target=Decimal(target),
        direction=direction,  # type: ignore[arg-type]
        by_date=date(2027, 3, 31),
        latest_value=Decimal(value) if value is not None else None,
        latest_period="2026-11" if value is not None else None,
        previous_value=Decimal(previous) if previous is not None else None,
        release_id=release if value is not None else None,
        signals=signals,
        mean=mean,
    )


def audits(*grades: str, start: int = 1) -> list[AuditFact]:
    return [
        AuditFact(start + i, 7, date(2026, 1 + i % 12, 1 + i // 12), g)
        for i, g in enumerate(grades)
    ]


def refs(j: rule.Judgement, kind: str) -> set[str]:
    return {e.id for r in j.reasons for e in r.evidence if e.kind == kind}


def test_no_linked_evidence_is_no_evidence_never_working() -> None:
    j = judge(Evidence())
    assert j.status == "no evidence"
    assert j.rule_version == rule.RULE_VERSION


def test_actions_alone_all_done_and_green_are_still_no_evidence_and_flagged() -> None:
    j = judge(Evidence(actions=[action(1, status="completed"), action(2, status="embedded")]))
    assert j.status == "no evidence"
    assert j.declared_rag == "green"
    assert j.disagrees is True  # green declared, nothing shows it works
    assert refs(j, "action") == {"1", "2"}
    assert j.counts["actions_done"] == 2


def test_indicators_without_a_published_value_are_no_evidence() -> None:
    j = judge(Evidence(indicators=[indicator(None)]))
    assert j.status == "no evidence"
    assert refs(j, "indicator") == {"CP_REVIEWS"}


def test_indicator_across_its_target_with_a_signal_and_audits_improving_to_good_is_working() -> (
    None
):
    grades = ["requires_improvement", "inadequate", "good", "good", "outstanding", "good"]
    # the earlier half 0 of 3 good or better, the later half 3 of 3: trend up, later ≥ 0.75
    assert Fraction(sum(g in ("good", "outstanding") for g in grades[3:]), 3) >= Fraction(3, 4)
    j = judge(
        Evidence(
            actions=[action(1, rag="amber")],
            indicators=[indicator("85", "78", signals=("run",), mean=76.0, release="r-9")],
            audits=audits(*grades),
            programme_ids=[7],
        )
    )
    assert j.status == "working"
    assert refs(j, "release") == {"r-9"}
    assert refs(j, "audit") == {str(a.audit_id) for a in audits(*grades)}
    assert j.disagrees is False


def test_not_met_but_moving_toward_target_is_improving() -> None:
    j = judge(Evidence(indicators=[indicator("75", "70")]))
    assert j.status == "improving"


def test_direction_down_means_lower_is_better() -> None:
    assert (
        judge(Evidence(indicators=[indicator("9", "12", target="10", direction="down")])).status
        == "working"
    )
    assert (
        judge(Evidence(indicators=[indicator("14", "12", target="10", direction="down")])).status
        == "not working"
    )


def test_an_unfavourable_signal_without_a_step_is_bad() -> None:
    j = judge(Evidence(indicators=[indicator("60", "60", signals=("beyond_limits",), mean=70.0)]))
    assert j.status == "not working"


def test_flat_figures_are_not_yet() -> None:
    assert judge(Evidence(indicators=[indicator("60", "60")])).status == "not yet"


def test_mixed_verdicts_are_not_yet() -> None:
    # indicator met (good), audits falling (bad): neither working nor not working
    grades = ["good", "good", "inadequate", "requires_improvement"]
    j = judge(Evidence(indicators=[indicator("90", "85")], audits=audits(*grades)))
    assert j.status == "not yet"


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        (["good", "good", "good", "outstanding"], "good"),
        (["inadequate", "requires_improvement", "requires_improvement", "good"], "improving"),
        (["good", "good", "inadequate", "inadequate"], "bad"),
        (["inadequate", "requires_improvement", "inadequate"], "bad"),
        (["good", "inadequate", "good", "inadequate"], "flat"),
    ],
)
def test_audit_verdicts_against_shares_worked_out_here(grades: list[str], expected: str) -> None:
    facts = audits(*grades)
    good = [g in ("good", "outstanding") for g in grades]
    half = len(grades) // 2
    share = Fraction(sum(good), len(good))
    trend = Fraction(sum(good[-half:]), half) - Fraction(sum(good[:half]), half)
    verdict, _text, got_share, got_trend = rule.audit_verdict(facts)
    assert got_share == Decimal(share.numerator) / Decimal(share.denominator)
    assert got_trend is not None
    assert Fraction(str(got_trend)) == trend
    assert verdict == expected


def test_rechecked_findings_not_effective_hold_audits_back() -> None:
    facts = audits("good", "good", "good", "good")
    found = [FindingFact(1, facts[0].audit_id, "not_effective", False, False)]
    j = judge(Evidence(audits=facts, findings=found))
    assert j.status == "not yet"
    assert refs(j, "finding") == {"1"}


def test_declared_red_beside_working_is_flagged() -> None:
    j = judge(Evidence(actions=[action(1, rag="red")], indicators=[indicator("85", "80")]))
    assert (j.status, j.declared_rag, j.disagrees) == ("working", "red", True)


def test_overdue_and_done_actions_are_counted_with_their_ids() -> None:
    acts = [action(1, status="completed"), action(2, overdue=True), action(3)]
    j = judge(Evidence(actions=acts, indicators=[indicator("85", "80")]))
    assert (
        j.counts["actions_done"],
        j.counts["actions_on_track"],
        j.counts["actions_overdue"],
    ) == (
        1,
        1,
        1,
    )
    assert refs(j, "action") == {"1", "2", "3"}
