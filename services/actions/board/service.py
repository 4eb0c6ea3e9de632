"""The Improvement Board's summary: per theme and per agency."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.actions.actions.models import RAGS, STATUSES
from services.actions.board import repository as repo
from services.actions.board.repository import BoardWindow


def _empty() -> dict[str, Any]:
    return {
        "total": 0,
        "by_status": dict.fromkeys(STATUSES, 0),
        "declared_rag": dict.fromkeys((*RAGS, "none"), 0),
        "computed_rag": dict.fromkeys(RAGS, 0),
        "overdue": 0,
        "due_soon": 0,
        "completed_since": 0,
        "changed_since": 0,
    }


def _add(group: dict[str, Any], row: dict[str, Any]) -> None:
    n = row["n"]
    group["total"] += n
    group["by_status"][row["status"]] += n
    group["declared_rag"][row["declared_rag"] or "none"] += n
    if row["rag"] is not None:
        group["computed_rag"][row["rag"]] += n
    for flag, key in (
        ("overdue", "overdue"),
        ("due_soon", "due_soon"),
        ("completed", "completed_since"),
        ("changed", "changed_since"),
    ):
        if row[flag]:
            group[key] += n


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def summary(
    session: AsyncSession,
    *,
    plan_id: int | None,
    today: date,
    due_within_days: int,
    completed_since: date | None,
    board_date: date | None,
) -> dict[str, Any]:
    last_board = board_date or today - timedelta(days=28)
    window = BoardWindow(
        today=today,
        due_within_days=due_within_days,
        completed_since=_start_of(completed_since or last_board),
        changes_since=_start_of(last_board),
    )
    themes: dict[int, dict[str, Any]] = {}
    agencies: dict[str, dict[str, Any]] = {}
    for row in await repo.summary_rows(session, plan_id, window):
        number = row["theme"]
        if number not in themes:
            themes[number] = {"theme": number, "title": row["theme_title"], **_empty()}
        _add(themes[number], row)
        for agency in dict.fromkeys([row["lead_agency"], *row["contributing_agencies"]]):
            if agency not in agencies:
                agencies[agency] = {"agency": agency, **_empty()}
            _add(agencies[agency], row)
    return {
        "plan_id": plan_id,
        "as_of": today,
        "due_within_days": due_within_days,
        "completed_since": (completed_since or last_board),
        "changes_since": last_board,
        "themes": [themes[k] for k in sorted(themes)],
        "agencies": [agencies[k] for k in sorted(agencies)],
    }


#: The table's columns (CSV and XLSX alike): one row per theme, then one per agency.
TABLE_FIELDS = (
    ["group", "key", "total"]
    + [f"status_{s}" for s in STATUSES]
    + [f"declared_{r}" for r in RAGS]
    + ["declared_none"]
    + [f"computed_{r}" for r in RAGS]
    + ["overdue", "due_soon", "completed_since", "changed_since"]
)


def table_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary as table rows keyed by ``TABLE_FIELDS`` (counts stay numbers)."""
    rows: list[dict[str, Any]] = []
    for group, key, items in (
        ("theme", "theme", doc["themes"]),
        ("agency", "agency", doc["agencies"]),
    ):
        for r in items:
            values = (
                [group, r[key], r["total"]]
                + [r["by_status"][s] for s in STATUSES]
                + [r["declared_rag"][x] for x in (*RAGS, "none")]
                + [r["computed_rag"][x] for x in RAGS]
                + [r["overdue"], r["due_soon"], r["completed_since"], r["changed_since"]]
            )
            rows.append(dict(zip(TABLE_FIELDS, values, strict=True)))
    return rows
