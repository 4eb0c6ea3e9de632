"""The board summary on a fixture whose numbers are worked out by hand (as of 2030-03-01)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

import httpx
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import who
from tests.actions.factories import action, make_plan

ROWS = {
    # ref: status, percent, declared, updated_at, completed_at
    "1A1": ("in_progress", 50, "green", "2030-02-20", None),
    "1A2": ("in_progress", 90, "amber", "2030-01-05", None),
    "1B1": ("not_started", 0, None, "2030-01-05", None),
    "2A1": ("completed", 100, "green", "2030-01-05", "2030-02-20"),
    "2A2": ("blocked", 0, "red", "2030-01-05", None),
}
#: contributing agencies of each action (the council leads every one)
STATUSES = ("not_started", "in_progress", "completed", "embedded", "blocked", "deferred")
CONTRIBUTING = {"1B1": ("police",), "2A1": ("probation",)}


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


async def _plan(conn: AsyncConnection) -> int:
    plan = await make_plan(
        conn,
        "Board plan",
        [
            action("1A1", due_date="2030-02-15"),
            action("1A2", due_date="2030-03-10"),
            action("1B1", due_date="2030-12-31", contributing=("police",)),
            action("2A1", due_date="2030-02-28", contributing=("probation",)),
            action("2A2", due_sprint=2),
        ],
    )
    for ref, (status, pct, rag, updated, completed) in ROWS.items():
        await conn.execute(
            text(
                "UPDATE actions.action SET status=:s, percent_complete=:p, declared_rag=:r, "
                "updated_at=:u, completed_at=:c "
                "WHERE plan_id=:plan AND ref=:ref"
            ),
            {
                "s": status,
                "p": pct,
                "r": rag,
                "u": _at(updated),
                "c": _at(completed) if completed else None,
                "plan": plan,
                "ref": ref,
            },
        )
    return plan


def _counts(**given: object) -> dict[str, object]:
    base: dict[str, object] = {
        "by_status": dict.fromkeys(
            ("not_started", "in_progress", "completed", "embedded", "blocked", "deferred"), 0
        ),
        "declared_rag": {"red": 0, "amber": 0, "green": 0, "none": 0},
        "computed_rag": {"red": 0, "amber": 0, "green": 0},
        "overdue": 0,
        "due_soon": 0,
        "completed_since": 0,
        "changed_since": 0,
    }
    for key, value in given.items():
        if isinstance(value, dict):
            base[key] = {**base[key], **value}  # type: ignore[dict-item]
        else:
            base[key] = value
    return base


async def test_board_summary_by_hand(client: httpx.AsyncClient, conn: AsyncConnection) -> None:
    plan = await _plan(conn)
    params = {
        "plan_id": plan,
        "as_of": "2030-03-01",
        "board_date": "2030-02-01",
        "due_within_days": 30,
    }
    r = await client.get("/v1/board-summary", params=params, headers=who("police", "viewer"))
    assert r.status_code == 200, r.text
    doc = r.json()
    # 1A1: overdue (due 15 Feb) -> computed red though declared green; changed 20 Feb.
    # 1A2: 59 of 68 days gone (87 %), 90 % done -> green; due within 30 days.
    # 1B1: 59 of 364 days (16 %), 0 % done -> amber (within 25 points).
    # 2A1: completed 20 Feb -> green, completed since the board date.
    # 2A2: Sprint 2 starts 26 Mar, not begun -> green; due 17 Jun, not soon.
    assert doc["themes"] == [
        {
            "theme": 1,
            "title": "Theme 1",
            "total": 3,
            **_counts(
                by_status={"in_progress": 2, "not_started": 1},
                declared_rag={"green": 1, "amber": 1, "none": 1},
                computed_rag={"red": 1, "green": 1, "amber": 1},
                overdue=1,
                due_soon=1,
                changed_since=1,
            ),
        },
        {
            "theme": 2,
            "title": "Theme 2",
            "total": 2,
            **_counts(
                by_status={"completed": 1, "blocked": 1},
                declared_rag={"green": 1, "red": 1},
                computed_rag={"green": 2},
                completed_since=1,
            ),
        },
    ]
    by_agency = {a.pop("agency"): a for a in doc["agencies"]}
    assert set(by_agency) == {"council", "police", "probation"}
    assert by_agency["council"]["total"] == 5
    assert by_agency["council"]["overdue"] == 1
    assert by_agency["police"] == {
        "total": 1,
        **_counts(
            by_status={"not_started": 1}, declared_rag={"none": 1}, computed_rag={"amber": 1}
        ),
    }
    assert by_agency["probation"] == {
        "total": 1,
        **_counts(
            by_status={"completed": 1},
            declared_rag={"green": 1},
            computed_rag={"green": 1},
            completed_since=1,
        ),
    }


async def test_board_summary_csv(client: httpx.AsyncClient, conn: AsyncConnection) -> None:
    plan = await _plan(conn)
    params = {"plan_id": plan, "as_of": "2030-03-01", "board_date": "2030-02-01", "format": "csv"}
    r = await client.get("/v1/board-summary", params=params, headers=who("ccg", "viewer"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().split("\n")
    assert lines[0].startswith("group,key,total,status_not_started")
    assert lines[1].startswith("theme,1,3,1,2,0,0,0,0,")
    assert [line.split(",")[1] for line in lines[1:]] == [
        "1",
        "2",
        "council",
        "police",
        "probation",
    ]
    by_accept = await client.get(
        "/v1/board-summary",
        params={"plan_id": plan},
        headers=who("ccg", "viewer") | {"Accept": "text/csv"},
    )
    assert by_accept.headers["content-type"].startswith("text/csv")


async def test_board_summary_xlsx(client: httpx.AsyncClient, conn: AsyncConnection) -> None:
    """The workbook holds the same figures, as numbers, as a count made here from the fixture."""
    plan = await _plan(conn)
    params = {"plan_id": plan, "as_of": "2030-03-01", "board_date": "2030-02-01"}
    r = await client.get(
        "/v1/board-summary", params=params | {"format": "xlsx"}, headers=who("ccg", "viewer")
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="board-summary.xlsx"' in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, body = table[0], table[1:]
    assert header[:3] == ["group", "key", "total"]
    got = {(row[0], str(row[1])): dict(zip(header, row, strict=True)) for row in body}
    # independent count: status and declared RAG per theme (first digit of the ref) and per
    # agency (the council leads all; contributors as listed), straight from the fixture
    groups: dict[tuple[str, str], list[str]] = {}
    for ref in ROWS:
        groups.setdefault(("theme", ref[0]), []).append(ref)
        for agency in ("council", *CONTRIBUTING.get(ref, ())):
            groups.setdefault(("agency", agency), []).append(ref)
    assert list(got) == sorted(groups, key=lambda k: (k[0] != "theme", k[1]))
    for key, refs in groups.items():
        row = got[key]
        assert row["total"] == len(refs)
        statuses = Counter(ROWS[ref][0] for ref in refs)
        declared = Counter(ROWS[ref][2] or "none" for ref in refs)
        for status in STATUSES:
            assert row[f"status_{status}"] == statuses[status], (key, status)
        for rag in ("red", "amber", "green", "none"):
            assert row[f"declared_{rag}"] == declared[rag], (key, rag)
        computed = sum(row[f"computed_{rag}"] for rag in ("red", "amber", "green"))
        assert computed == len(refs)  # every open action here has a computed RAG
    # the figures worked out by hand in test_board_summary_by_hand, as numbers in cells
    assert got[("theme", "1")]["overdue"] == 1
    assert got[("theme", "1")]["computed_red"] == 1
    assert got[("theme", "2")]["completed_since"] == 1
    assert got[("agency", "probation")]["completed_since"] == 1
    by_accept = await client.get(
        "/v1/board-summary",
        params=params,
        headers=who("ccg", "viewer")
        | {"Accept": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    )
    assert by_accept.content[:2] == b"PK"  # a zip: the workbook
    as_json = await client.get("/v1/board-summary", params=params, headers=who("ccg", "viewer"))
    assert as_json.headers["content-type"].startswith("application/json")


async def test_board_summary_format_json_is_the_json(
    client: httpx.AsyncClient, conn: AsyncConnection
) -> None:
    """Issue 18: `?format=json`, the default representation, answered 422 once csv and xlsx
    were added; it answers the JSON, even beside an `Accept` naming a table."""
    plan = await _plan(conn)
    params = {"plan_id": plan, "as_of": "2030-03-01", "board_date": "2030-02-01"}
    default = await client.get("/v1/board-summary", params=params, headers=who("ccg", "viewer"))
    for accept in ({}, {"Accept": "text/csv"}):
        r = await client.get(
            "/v1/board-summary",
            params=params | {"format": "json"},
            headers=who("ccg", "viewer") | accept,
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/json")
        assert r.json() == default.json()
    bad = await client.get(
        "/v1/board-summary", params=params | {"format": "pdf"}, headers=who("ccg", "viewer")
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["format"]
    assert "pdf" not in bad.text
