"""Every SQL statement about actions. Every agency reads the whole plan, so reads need no
agency filter; writes are checked in the service before they reach here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    JSON,
    Select,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import Action, ActionEvent, ActionOwner, ActionStep
from services.actions.actions.rag import NOT_OVERDUE_SQL, OVERDUE_SQL, RAG_SQL
from services.actions.plans.models import Owner, SuccessCriterion, Theme
from services.actions.progress.models import ProgressUpdate
from services.actions.recommendations.models import Recommendation, RecommendationAction
from shared.pagination import SortKey, order_by


@dataclass(frozen=True)
class ActionFilters:
    plan_id: int | None = None
    theme: int | None = None
    criterion: str | None = None
    ref: str | None = None
    agency: str | None = None
    owner_id: int | None = None
    status: Sequence[str] = ()
    declared_rag: str | None = None
    computed_rag: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    due_after: date | None = None
    sprint: int | None = None
    recommendation: int | None = None
    q: str | None = None


SORTABLE = {
    "ref": Action.ref,
    "due_on": Action.due_on,
    "status": Action.status,
    "percent_complete": Action.percent_complete,
    "updated_at": Action.updated_at,
    "title": Action.title,
    "action_id": Action.action_id,
}


#: the action's owners as a JSON array, in their order (one round trip for a whole page)
_OWNERS = (
    select(
        func.coalesce(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_object(
                        "owner_id", Owner.owner_id, "title", Owner.title, "agency", Owner.agency
                    ),
                    ActionOwner.position,
                )
            ),
            text("'[]'::json"),
        )
    )
    .select_from(ActionOwner)
    .join(Owner, Owner.owner_id == ActionOwner.owner_id)
    .where(ActionOwner.action_id == Action.action_id)
    .correlate(Action)
    .scalar_subquery()
)
OWNERS_JSON = type_coerce(_OWNERS, JSON)

COLUMNS: list[Any] = [
    Action.action_id,
    Action.plan_id,
    Action.ref,
    Theme.number.label("theme_number"),
    SuccessCriterion.code.label("criterion_code"),
    Action.title,
    Action.description,
    Action.lead_agency,
    Action.contributing_agencies,
    Action.due_date,
    Action.due_sprint,
    Action.due_text,
    Action.due_on,
    Action.sprint_number,
    Action.status,
    Action.percent_complete,
    Action.declared_rag,
    RAG_SQL.label("computed_rag"),
    OVERDUE_SQL.label("overdue"),
    Action.last_update_at,
    Action.completed_at,
    Action.indicator_codes,
    Action.audit_finding_refs,
    Action.version,
    Action.updated_at,
    Action.source_fixes,
    OWNERS_JSON.label("owners"),
]
#: built once; statements bind ``today`` when they run
BASE: Select[Any] = (
    select(*COLUMNS)
    .join(Theme, Theme.theme_id == Action.theme_id)
    .join(SuccessCriterion, SuccessCriterion.criterion_id == Action.criterion_id)
)


def _json(sql: str, label: str) -> Any:
    return type_coerce(literal_column(sql), JSON).label(label)


#: the rest of one action, in the same statement (one round trip for the whole detail)
DETAIL: Select[Any] = BASE.add_columns(
    _json(
        """(SELECT coalesce(json_agg(json_build_object('step_id', s.step_id, 'number', s.number,
        'text', s.text, 'agencies', s.agencies, 'due_date', s.due_date, 'status', s.status,
        'owner', CASE WHEN o.owner_id IS NULL THEN NULL ELSE json_build_object(
            'owner_id', o.owner_id, 'title', o.title, 'agency', o.agency,
            'user_subject', o.user_subject, 'display_name', o.display_name) END)
        ORDER BY s.number), '[]'::json)
        FROM actions.action_step s LEFT JOIN actions.owner o ON o.owner_id = s.owner_id
        WHERE s.action_id = actions.action.action_id)""",
        "steps",
    ),
    _json(
        """(SELECT coalesce(json_agg(r.number ORDER BY r.number), '[]'::json)
        FROM actions.recommendation_action ra
        JOIN actions.recommendation r ON r.recommendation_id = ra.recommendation_id
        WHERE ra.action_id = actions.action.action_id AND r.source = 'ofsted'
          AND r.plan_id = actions.action.plan_id)""",
        "recommendations",
    ),
    _json(
        """(SELECT coalesce(json_agg(h ORDER BY h.occurred_at DESC, h.event_id DESC), '[]'::json)
        FROM (SELECT e.event_id, e.kind, e.detail, e.actor, e.agency, e.occurred_at
              FROM actions.action_event e WHERE e.action_id = actions.action.action_id
              ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT 100) h)""",
        "history",
    ),
    _json(
        """(SELECT coalesce(json_agg(u ORDER BY u.created_at DESC, u.update_id DESC), '[]'::json)
        FROM (SELECT p.update_id, p.action_id, st.number AS step_number, p.author, p.agency,
                     p.update_date, p.narrative, p.percent_complete, p.declared_rag, p.evidence,
                     p.created_at
              FROM actions.progress_update p
              LEFT JOIN actions.action_step st ON st.step_id = p.step_id
              WHERE p.action_id = actions.action.action_id
              ORDER BY p.created_at DESC, p.update_id DESC LIMIT 20) u)""",
        "recent_updates",
    ),
)

IDS: Select[Any] = (
    select(Action.action_id)
    .join(Theme, Theme.theme_id == Action.theme_id)
    .join(SuccessCriterion, SuccessCriterion.criterion_id == Action.criterion_id)
)
COUNT: Select[Any] = (
    select(func.count())
    .select_from(Action)
    .join(Theme, Theme.theme_id == Action.theme_id)
    .join(SuccessCriterion, SuccessCriterion.criterion_id == Action.criterion_id)
)


def _where(f: ActionFilters) -> list[Any]:
    conds: list[Any] = []
    if f.plan_id is not None:
        conds.append(Action.plan_id == f.plan_id)
    if f.theme is not None:
        conds.append(Theme.number == f.theme)
    if f.criterion is not None:
        conds.append(SuccessCriterion.code == f.criterion)
    if f.ref is not None:
        conds.append(Action.ref == f.ref)
    if f.agency is not None:
        conds.append(
            or_(Action.lead_agency == f.agency, Action.contributing_agencies.contains([f.agency]))
        )
    if f.owner_id is not None:
        conds.append(
            Action.action_id.in_(
                select(ActionOwner.action_id).where(ActionOwner.owner_id == f.owner_id)
            )
        )
    if f.status:
        conds.append(Action.status.in_(f.status))
    if f.declared_rag is not None:
        conds.append(Action.declared_rag == f.declared_rag)
    if f.computed_rag is not None:
        conds.append(f.computed_rag == RAG_SQL)
    if f.overdue is True:
        conds.append(OVERDUE_SQL)
    elif f.overdue is False:
        conds.append(NOT_OVERDUE_SQL)
    if f.due_before is not None:
        conds.append(Action.due_on <= f.due_before)
    if f.due_after is not None:
        conds.append(Action.due_on >= f.due_after)
    if f.sprint is not None:
        conds.append(Action.sprint_number == f.sprint)
    if f.recommendation is not None:
        conds.append(
            Action.action_id.in_(
                select(RecommendationAction.action_id)
                .join(Recommendation)
                .where(
                    Recommendation.number == f.recommendation,
                    Recommendation.source == "ofsted",
                )
            )
        )
    if f.q:
        pattern = "%" + f.q.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        conds.append(or_(Action.title.ilike(pattern), Action.description.ilike(pattern)))
    return conds


async def list_actions(
    session: AsyncSession,
    f: ActionFilters,
    today: date,
    sort: list[SortKey],
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    conds = _where(f)
    order = order_by(sort, SORTABLE, Action.action_id)
    # the page's ids first (filters, order, total in one pass), then the page's rows in full:
    # owners and computed fields are worked out for the page only
    page = (
        IDS.add_columns(func.count().over().label("total_rows"))
        .where(*conds)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    stmt = (
        BASE.join(page, page.c.action_id == Action.action_id)
        .add_columns(page.c.total_rows)
        .order_by(*order)
    )
    params = {"today": today}
    items = [dict(r) for r in (await session.execute(stmt, params)).mappings()]
    if items:
        total = int(items[0]["total_rows"])
    elif offset == 0:
        total = 0
    else:
        total = int((await session.execute(COUNT.where(*conds), params)).scalar_one())
    return items, total


async def get_action(session: AsyncSession, action_id: int, today: date) -> dict[str, Any] | None:
    stmt = BASE.where(Action.action_id == action_id)
    row = (await session.execute(stmt, {"today": today})).mappings()
    found = row.one_or_none()
    if found is None:
        return None
    return dict(found)


async def get_detail(session: AsyncSession, action_id: int, today: date) -> dict[str, Any] | None:
    stmt = DETAIL.where(Action.action_id == action_id)
    found = (await session.execute(stmt, {"today": today})).mappings().one_or_none()
    return dict(found) if found is not None else None


async def lock_action(session: AsyncSession, action_id: int) -> Action | None:
    """The action row, locked until the transaction ends (so racing writers queue)."""
    return await session.scalar(
        select(Action).where(Action.action_id == action_id).with_for_update()
    )


#: field → column for ``?sort=`` of an action's progress updates
UPDATE_SORT = {
    "update_id": ProgressUpdate.update_id,
    "created_at": ProgressUpdate.created_at,
    "update_date": ProgressUpdate.update_date,
    "percent_complete": ProgressUpdate.percent_complete,
    "agency": ProgressUpdate.agency,
}
NEWEST_FIRST = (SortKey("created_at", True), SortKey("update_id", True))


async def recent_updates(
    session: AsyncSession,
    action_id: int,
    limit: int,
    offset: int = 0,
    sort: Sequence[SortKey] = NEWEST_FIRST,
) -> tuple[list[dict[str, Any]], int]:
    rows = await session.execute(
        select(ProgressUpdate, ActionStep.number.label("step_number"))
        .outerjoin(ActionStep, ActionStep.step_id == ProgressUpdate.step_id)
        .where(ProgressUpdate.action_id == action_id)
        .order_by(*order_by(sort, UPDATE_SORT, ProgressUpdate.update_id))
        .limit(limit)
        .offset(offset)
    )
    items = []
    for upd, step_number in rows:
        items.append(
            {
                "update_id": upd.update_id,
                "action_id": upd.action_id,
                "step_number": step_number,
                "author": upd.author,
                "agency": upd.agency,
                "update_date": upd.update_date,
                "narrative": upd.narrative,
                "percent_complete": upd.percent_complete,
                "declared_rag": upd.declared_rag,
                "evidence": list(upd.evidence),
                "created_at": upd.created_at,
            }
        )
    total = await session.scalar(
        select(func.count())
        .select_from(ProgressUpdate)
        .where(ProgressUpdate.action_id == action_id)
    )
    return items, int(total or 0)


async def add_event(
    session: AsyncSession,
    action_id: int,
    kind: str,
    detail: dict[str, Any],
    actor: str,
    agency: str,
) -> None:
    await session.execute(
        insert(ActionEvent).values(
            action_id=action_id, kind=kind, detail=detail, actor=actor, agency=agency
        )
    )


async def ref_taken(session: AsyncSession, plan_id: int, ref: str) -> bool:
    found = await session.scalar(
        select(Action.action_id).where(Action.plan_id == plan_id, Action.ref == ref)
    )
    return found is not None


async def insert_action(session: AsyncSession, values: dict[str, Any]) -> int:
    return int(
        (
            await session.execute(insert(Action).values(**values).returning(Action.action_id))
        ).scalar_one()
    )


async def insert_steps(session: AsyncSession, action_id: int, steps_in: list[Any]) -> None:
    if steps_in:
        await session.execute(
            insert(ActionStep),
            [
                {"action_id": action_id, "number": i + 1, "text": s.text, "agencies": s.agencies}
                for i, s in enumerate(steps_in)
            ],
        )


async def set_owners(session: AsyncSession, action_id: int, owner_ids: list[int]) -> None:
    await session.execute(delete(ActionOwner).where(ActionOwner.action_id == action_id))
    if owner_ids:
        await session.execute(
            insert(ActionOwner),
            [
                {"action_id": action_id, "owner_id": o, "position": i + 1}
                for i, o in enumerate(dict.fromkeys(owner_ids))
            ],
        )


async def existing_owner_ids(session: AsyncSession, owner_ids: list[int]) -> set[int]:
    if not owner_ids:
        return set()
    rows = await session.scalars(select(Owner.owner_id).where(Owner.owner_id.in_(owner_ids)))
    return set(rows)


async def bump(session: AsyncSession, action_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        update(Action)
        .where(Action.action_id == action_id)
        .values(**values, version=Action.version + 1, updated_at=func.now())
    )


async def get_step(session: AsyncSession, action_id: int, number: int) -> ActionStep | None:
    return await session.scalar(
        select(ActionStep).where(ActionStep.action_id == action_id, ActionStep.number == number)
    )


async def update_step(session: AsyncSession, step_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(ActionStep).where(ActionStep.step_id == step_id).values(**values))


async def get_owner(session: AsyncSession, owner_id: int) -> Owner | None:
    return await session.get(Owner, owner_id)
