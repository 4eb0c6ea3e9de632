"""Small plans built for one test (through the same loader as the seed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.plans.loader import load_plan


def action(
    ref: str,
    *,
    due_date: str | None = None,
    due_sprint: int | None = None,
    contributing: tuple[str, ...] = (),
    owners: tuple[str, ...] = ("Test Owner",),
    steps: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> dict[str, Any]:
    return {
        "ref": ref,
        "title": f"Action {ref}",
        "description": f"Do {ref}",
        "owners": list(owners),
        "lead_agency": "council",
        "contributing_agencies": sorted(contributing),
        "due_date": due_date,
        "due_sprint": due_sprint,
        "due_text": due_date or (f"Sprint {due_sprint}" if due_sprint else None),
        "steps": [
            {"number": i + 1, "text": text, "agencies": list(agencies)}
            for i, (text, agencies) in enumerate(steps)
        ],
    }


async def make_plan(
    conn: AsyncConnection,
    title: str,
    actions: list[dict[str, Any]],
    *,
    start: str = "2030-01-01",
    end: str = "2031-12-31",
    owners: tuple[str, ...] = ("Test Owner", "Second Owner"),
) -> int:
    themes: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for a in actions:
        themes.setdefault(int(a["ref"][0]), {}).setdefault(a["ref"][:2], []).append(a)
    data = {
        "plan": {
            "title": title,
            "authority": "Test Council",
            "start_date": start,
            "end_date": end,
            "status": "active",
        },
        "owners": [{"title": o, "agency": "council"} for o in owners],
        "themes": [
            {
                "number": n,
                "title": f"Theme {n}",
                "success_criteria": [
                    {"code": code, "text": f"Criterion {code}", "actions": acts}
                    for code, acts in sorted(crits.items())
                ],
            }
            for n, crits in sorted(themes.items())
        ],
        "recommendations": [],
    }
    plan_id, inserted = await load_plan(conn, data)
    assert inserted
    return plan_id
