"""Load a plan from a reviewed data file (the seed), idempotently and fast (Core inserts)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.actions.models import Action, ActionOwner, ActionStep
from services.actions.plans.models import Owner, Plan, SuccessCriterion, Theme
from services.actions.recommendations.models import Recommendation, RecommendationAction
from services.actions.sprints.calendar import sprint_bounds, sprint_count, sprint_of
from services.actions.sprints.models import Sprint

SEED_FILE = Path(__file__).resolve().parent.parent / "seed_data" / "wirral-2017-2019.json"


def read_seed(path: Path = SEED_FILE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def load_plan(
    conn: AsyncConnection, data: dict[str, Any], *, title: str | None = None
) -> tuple[int, bool]:
    """Insert the plan in ``data`` unless a plan of that title and authority exists.

    Returns (plan id, whether anything was inserted). Owners are shared by title.
    """
    meta = data["plan"]
    plan_title = title or meta["title"]
    existing = await conn.scalar(
        select(Plan.plan_id).where(Plan.title == plan_title, Plan.authority == meta["authority"])
    )
    if existing is not None:
        return int(existing), False
    start, end = date.fromisoformat(meta["start_date"]), date.fromisoformat(meta["end_date"])
    plan_id = int(
        (
            await conn.execute(
                insert(Plan)
                .values(
                    title=plan_title,
                    authority=meta["authority"],
                    start_date=start,
                    end_date=end,
                    status=meta.get("status", "active"),
                )
                .returning(Plan.plan_id)
            )
        ).scalar_one()
    )
    owner_ids = await _owners(conn, data["owners"])
    await conn.execute(
        insert(Sprint),
        [
            {
                "plan_id": plan_id,
                "number": n,
                "start_date": sprint_bounds(start, n)[0],
                "end_date": min(sprint_bounds(start, n)[1], end),
            }
            for n in range(1, sprint_count(start, end) + 1)
        ],
    )
    action_ids: dict[str, int] = {}
    for theme in data["themes"]:
        theme_id = await conn.scalar(
            insert(Theme)
            .values(
                plan_id=plan_id,
                number=theme["number"],
                title=theme["title"],
                source_fix=theme.get("source_fix"),
            )
            .returning(Theme.theme_id)
        )
        for crit in theme["success_criteria"]:
            criterion_id = await conn.scalar(
                insert(SuccessCriterion)
                .values(
                    plan_id=plan_id,
                    theme_id=theme_id,
                    code=crit["code"],
                    text=crit["text"],
                    source_fix=crit.get("source_fix"),
                )
                .returning(SuccessCriterion.criterion_id)
            )
            assert theme_id is not None
            assert criterion_id is not None
            for act in crit["actions"]:
                action_ids[act["ref"]] = await _action(
                    conn, act, plan_id, int(theme_id), int(criterion_id), start, owner_ids
                )
    await load_recommendations(conn, plan_id, data, action_ids)
    return plan_id, True


#: The data file's key of each recommendation set.
RECOMMENDATION_SETS = (("ofsted", "recommendations"), ("lscb", "lscb_recommendations"))


async def load_recommendations(
    conn: AsyncConnection,
    plan_id: int,
    data: dict[str, Any],
    action_ids: dict[str, int] | None = None,
) -> int:
    """Insert each recommendation of ``data`` (both sets) the plan does not have yet, with its
    links; those present are left as they are (their links may have been edited since).
    Returns how many were inserted. ``action_ids`` maps refs to ids (read when omitted)."""
    if action_ids is None:
        rows = await conn.execute(
            select(Action.ref, Action.action_id).where(Action.plan_id == plan_id)
        )
        action_ids = {r.ref: r.action_id for r in rows}
    present = {
        (r.source, r.number)
        for r in await conn.execute(
            select(Recommendation.source, Recommendation.number).where(
                Recommendation.plan_id == plan_id
            )
        )
    }
    inserted = 0
    for source, key in RECOMMENDATION_SETS:
        for rec in data.get(key, []):
            if (source, rec["number"]) in present:
                continue
            rec_id = await conn.scalar(
                insert(Recommendation)
                .values(
                    plan_id=plan_id,
                    source=source,
                    number=rec["number"],
                    text=rec["text"],
                    progress_to_date=rec["progress_to_date"],
                    further_work=rec["further_work"],
                    source_fix=rec.get("source_fix"),
                )
                .returning(Recommendation.recommendation_id)
            )
            inserted += 1
            if rec["actions"]:
                await conn.execute(
                    insert(RecommendationAction),
                    [
                        {"recommendation_id": rec_id, "action_id": action_ids[r]}
                        for r in rec["actions"]
                    ],
                )
    return inserted


async def _owners(conn: AsyncConnection, owners: list[dict[str, Any]]) -> dict[str, int]:
    known = {
        row.title: row.owner_id for row in await conn.execute(select(Owner.title, Owner.owner_id))
    }
    missing = [o for o in owners if o["title"] not in known]
    if missing:
        rows = await conn.execute(
            insert(Owner).returning(Owner.title, Owner.owner_id),
            [
                {"title": o["title"], "agency": o["agency"], "organisation": o.get("organisation")}
                for o in missing
            ],
        )
        known |= {row.title: row.owner_id for row in rows}
    return known


async def _action(
    conn: AsyncConnection,
    act: dict[str, Any],
    plan_id: int,
    theme_id: int,
    criterion_id: int,
    plan_start: date,
    owner_ids: dict[str, int],
) -> int:
    due_date = date.fromisoformat(act["due_date"]) if act.get("due_date") else None
    due_sprint = act.get("due_sprint")
    due_on: date | None
    if due_sprint:
        start_on, due_on = sprint_bounds(plan_start, due_sprint)
        sprint_number = due_sprint
    else:
        start_on, due_on = plan_start, due_date
        sprint_number = sprint_of(plan_start, due_date) if due_date else None
    action_id = int(
        (
            await conn.execute(
                insert(Action)
                .values(
                    plan_id=plan_id,
                    theme_id=theme_id,
                    criterion_id=criterion_id,
                    ref=act["ref"],
                    title=act["title"],
                    description=act["description"],
                    lead_agency=act["lead_agency"],
                    contributing_agencies=act["contributing_agencies"],
                    due_date=due_date,
                    due_sprint=due_sprint,
                    due_text=act.get("due_text"),
                    start_on=start_on,
                    due_on=due_on,
                    sprint_number=sprint_number,
                    status="not_started",
                    source_fixes=act.get("source_fixes", []),
                )
                .returning(Action.action_id)
            )
        ).scalar_one()
    )
    if act["steps"]:
        await conn.execute(
            insert(ActionStep),
            [
                {
                    "action_id": action_id,
                    "number": s["number"],
                    "text": s["text"],
                    "agencies": s["agencies"],
                }
                for s in act["steps"]
            ],
        )
    if act["owners"]:
        await conn.execute(
            insert(ActionOwner),
            [
                {"action_id": action_id, "owner_id": owner_ids[name], "position": i + 1}
                for i, name in enumerate(act["owners"])
            ],
        )
    return action_id
