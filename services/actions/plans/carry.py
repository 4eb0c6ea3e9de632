"""What a refresh carries besides actions: the plan's live risks and its recommendations.

Called by :func:`services.actions.plans.service.refresh` once everything is validated, in
the refresh's one transaction.

- **Risks**: a risk not closed (open or mitigated: still on the register) moves to the new
  edition with its id, so its history and trail follow it, like a carried action. Its
  mitigating actions keep the refs of carried actions; refs of done actions, which stay in
  the closed edition (where a new action may take the same ref), are dropped from the risk
  and named in its ``risk.carried`` event. A closed risk stays in the closed edition.
- **Recommendations**: the inspection's recommendations outlive an edition, so each is
  copied into the new edition (new id, same source, number and texts) and linked to every
  action the old one was linked to: the carried actions (now in the new edition), and the
  done actions left in the closed edition (or an earlier one), kept as history. A board
  member asking "is it working?" of a recommendation expects the work already completed
  for it to count; a reader sees which edition each linked action is in (``plan_id`` of
  each link). The closed edition's recommendations are left as they were, its record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action
from services.actions.events import emit
from services.actions.recommendations import repository as recommendations
from services.actions.risks import repository as risks
from shared.identity import Caller


@dataclass
class Carried:
    """What moved besides actions, for the refresh's answer and event."""

    risks_carried: list[int] = field(default_factory=list)
    risks_left: list[int] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    recommendation_links: int = 0
    recommendation_history_links: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "risks_carried": len(self.risks_carried),
            "risks_left": len(self.risks_left),
            "recommendations": len(self.recommendations),
            "recommendation_links": self.recommendation_links,
            "recommendation_history_links": self.recommendation_history_links,
        }


async def lock(session: AsyncSession, plan_id: int) -> None:
    """Lock the plan's recommendations and risks before its actions: linking an action
    locks the recommendation, then the action (its foreign key), so the refresh takes them
    in the same order and the two never deadlock."""
    await recommendations.plan_recommendations(session, plan_id)
    await risks.plan_risks(session, plan_id)


async def carry(
    session: AsyncSession,
    caller: Caller,
    old_plan_id: int,
    new_plan_id: int,
    carried: list[Action],
) -> Carried:
    out = Carried()
    await _risks(session, caller, old_plan_id, new_plan_id, carried, out)
    await _recommendations(session, caller, old_plan_id, new_plan_id, carried, out)
    return out


async def _risks(
    session: AsyncSession,
    caller: Caller,
    old_plan_id: int,
    new_plan_id: int,
    carried: list[Action],
    out: Carried,
) -> None:
    carried_refs = {a.ref for a in carried}
    for risk in await risks.plan_risks(session, old_plan_id):
        if risk.status == "closed":
            out.risks_left.append(risk.risk_id)
            continue
        kept = [r for r in risk.mitigating_action_refs if r in carried_refs]
        dropped = [r for r in risk.mitigating_action_refs if r not in carried_refs]
        await risks.move_risk(session, risk.risk_id, new_plan_id, kept)
        await emit(
            session,
            caller,
            "risk.carried",
            "risk",
            risk.risk_id,
            {
                "from_plan": old_plan_id,
                "to_plan": new_plan_id,
                "status": risk.status,
                "mitigating_action_refs": kept,
                "mitigating_action_refs_left": dropped,
            },
        )
        out.risks_carried.append(risk.risk_id)


async def _recommendations(
    session: AsyncSession,
    caller: Caller,
    old_plan_id: int,
    new_plan_id: int,
    carried: list[Action],
    out: Carried,
) -> None:
    recs = await recommendations.plan_recommendations(session, old_plan_id)
    links = await recommendations.linked_actions(session, [r.recommendation_id for r in recs])
    carried_ids = {a.action_id for a in carried}
    for rec in recs:
        now = [(a, ref) for a, ref, _ in links[rec.recommendation_id] if a in carried_ids]
        history = [(a, ref) for a, ref, _ in links[rec.recommendation_id] if a not in carried_ids]
        new_id = await recommendations.copy_recommendation(
            session, rec, new_plan_id, [a for a, _ in now + history]
        )
        await emit(
            session,
            caller,
            "recommendation.carried",
            "recommendation",
            new_id,
            {
                "from_recommendation_id": rec.recommendation_id,
                "from_plan": old_plan_id,
                "to_plan": new_plan_id,
                "source": rec.source,
                "number": rec.number,
                "action_refs": sorted(ref for _, ref in now),
                "history_action_refs": sorted(ref for _, ref in history),
            },
        )
        out.recommendations.append(f"{rec.source} {rec.number}")
        out.recommendation_links += len(now)
        out.recommendation_history_links += len(history)
