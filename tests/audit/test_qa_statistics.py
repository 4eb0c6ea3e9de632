"""Statistics on a hand-worked fixture, in the KPI service's submission row shape.

Council programme, audits (final grade = moderated where moderated):
  Jan 2026  team A: good; inadequate → moderated requires_improvement; outstanding (closed)
  Jan 2026  team B: good;  plus a draft (never counted)
  Feb 2026  team A: requires_improvement
  Jan 2026  a police programme's audit: good (the council cannot see it)
By agency, January: 4 graded — outstanding 1 (25.0 %), good 2 (50.0 %), RI 1 (25.0 %),
inadequate 0 (0.0 %), good or better 3/4 = 75.0 %. February: 1 graded, RI 100.0 %, good or
better 0.0 %. By team, January: A 3 graded, good or better 2/3 = 66.7 %; B 1, 100.0 %.
Findings (agency council): one open and past due (overdue 1), one done with its re-check due
1 April 2026 (re-checks overdue 1), re-checks in March 2026: effective 1 of 2 = 50.0 %.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from services.audit.statistics.service import month_of
from services.kpis.contract import ComputedValue
from tests.audit.qa import AUDITOR, MODERATOR, POLICE, audit, graded, h, ok, programme, tool
from tests.audit.test_qa_findings import move


def table(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[Any, Any, Any]]:
    return {
        (r["indicator_code"], r["period_start"], r["org_unit_code"]): (
            r["numerator"],
            r["denominator"],
            Decimal(r["value"]) if r["value"] is not None else None,
        )
        for r in rows
    }


async def fixture(client: httpx.AsyncClient) -> int:
    t = await tool(client)
    p = (await programme(client, t["tool_id"]))["programme_id"]
    first = await graded(client, p, "good", team="A", day="2026-01-10")
    await graded(
        client, p, "inadequate", moderated="requires_improvement", team="A", day="2026-01-12"
    )
    await graded(
        client, p, "outstanding", moderated="outstanding", close=True, team="A", day="2026-01-20"
    )
    await graded(client, p, "good", team="B", day="2026-01-25")
    await graded(client, p, "requires_improvement", team="A", day="2026-02-03")
    await audit(client, p, team="B", day="2026-01-26")  # a draft
    police = await programme(client, t["tool_id"], lead=POLICE)
    made, _ = await audit(client, police["programme_id"], by=POLICE, day="2026-01-11")
    assert made["status"] == "draft"

    async def finding(due: str, steps: list[dict[str, Any]]) -> None:
        body = {
            "audit_id": first["audit_id"],
            "severity": "medium",
            "description": "d",
            "owner": "Team manager",
            "agency": "council",
            "due_date": due,
        }
        response = await client.post("/v1/findings", json=body, headers=h(AUDITOR))
        made = await ok(response, 201)
        etag = response.headers["ETag"]
        for step in steps:
            who = MODERATOR if step["to"] == "rechecked" else AUDITOR  # someone else re-checks
            r, etag = await move(client, made["finding_id"], etag, who, **step)
            await ok(r)

    agreed = {"to": "action_agreed", "action": "a"}
    done = {"to": "done", "done_on": "2026-01-15", "recheck_due_date": "2026-04-01"}
    await finding("2026-01-31", [])
    await finding("2099-01-31", [])
    await finding("2099-01-31", [agreed, done])
    await finding(
        "2099-01-31",
        [agreed, done, {"to": "rechecked", "outcome": "effective", "on": "2026-03-10"}],
    )
    await finding(
        "2099-01-31",
        [agreed, done, {"to": "rechecked", "outcome": "not_effective", "on": "2026-03-15"}],
    )
    return int(p)


async def test_by_agency_matches_the_hand_worked_figures(client: httpx.AsyncClient) -> None:
    await fixture(client)
    answer = await ok(
        await client.get("/v1/audit-statistics", params={"by": "agency"}, headers=h(AUDITOR))
    )
    got = table(answer["rows"])
    jan, feb, mar = "2026-01-01", "2026-02-01", "2026-03-01"
    now = month_of(datetime.now(UTC).date())[0].isoformat()
    expected = {
        ("QA-AUDITS-GRADED", jan, "council"): (4, None, Decimal(4)),
        ("QA-GRADE-OUTSTANDING", jan, "council"): (1, 4, Decimal("25.0")),
        ("QA-GRADE-GOOD", jan, "council"): (2, 4, Decimal("50.0")),
        ("QA-GRADE-RI", jan, "council"): (1, 4, Decimal("25.0")),
        ("QA-GRADE-INADEQUATE", jan, "council"): (0, 4, Decimal("0.0")),
        ("QA-GOOD-OR-BETTER", jan, "council"): (3, 4, Decimal("75.0")),
        ("QA-AUDITS-GRADED", feb, "council"): (1, None, Decimal(1)),
        ("QA-GRADE-OUTSTANDING", feb, "council"): (0, 1, Decimal("0.0")),
        ("QA-GRADE-GOOD", feb, "council"): (0, 1, Decimal("0.0")),
        ("QA-GRADE-RI", feb, "council"): (1, 1, Decimal("100.0")),
        ("QA-GRADE-INADEQUATE", feb, "council"): (0, 1, Decimal("0.0")),
        ("QA-GOOD-OR-BETTER", feb, "council"): (0, 1, Decimal("0.0")),
        ("QA-FINDINGS-OVERDUE", now, "council"): (1, None, Decimal(1)),
        ("QA-RECHECKS-OVERDUE", now, "council"): (1, None, Decimal(1)),
        ("QA-RECHECK-EFFECTIVE", mar, "council"): (1, 2, Decimal("50.0")),
    }
    assert got == expected
    january = next(r for r in answer["rows"] if r["period_start"] == jan)
    assert january["period_end"] == "2026-01-31"
    assert january["period_type"] == "month"
    kpi_fields = {f.name for f in dataclasses.fields(ComputedValue)}
    for row in answer["rows"]:  # each row is a KPI submission value as it stands
        assert kpi_fields <= set(row)
        ComputedValue(**{k: row[k] for k in kpi_fields})


async def test_by_team_and_programme_and_only_what_the_caller_may_see(
    client: httpx.AsyncClient,
) -> None:
    programme_id = await fixture(client)
    teams = table(
        (
            await ok(
                await client.get("/v1/audit-statistics", params={"by": "team"}, headers=h(AUDITOR))
            )
        )["rows"]
    )
    jan = "2026-01-01"
    assert teams[("QA-AUDITS-GRADED", jan, "A")] == (3, None, Decimal(3))
    assert teams[("QA-GOOD-OR-BETTER", jan, "A")] == (2, 3, Decimal("66.7"))
    assert teams[("QA-GRADE-RI", jan, "A")] == (1, 3, Decimal("33.3"))
    assert teams[("QA-GOOD-OR-BETTER", jan, "B")] == (1, 1, Decimal("100.0"))
    by_programme = await ok(
        await client.get("/v1/audit-statistics", params={"by": "programme"}, headers=h(AUDITOR))
    )
    assert {r["breakdown"]["programme_id"] for r in by_programme["rows"]} == {str(programme_id)}
    police = await ok(await client.get("/v1/audit-statistics", headers=h(POLICE)))
    assert police["rows"] == []  # the police see none of the council's audits


async def test_the_statistics_open_as_a_workbook_and_a_csv_with_the_hand_worked_figures(
    client: httpx.AsyncClient,
) -> None:
    """Issue 18 item 7: the same rows as a table people open (XLSX, CSV)."""
    import csv
    import io

    from openpyxl import load_workbook

    from shared.exports import XLSX_TYPE

    await fixture(client)
    params = {"by": "agency", "format": "xlsx"}
    r = await client.get("/v1/audit-statistics", params=params, headers=h(AUDITOR))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX_TYPE
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    header, *cells = list(sheet.iter_rows(values_only=True))
    book = {
        (row["indicator_code"], row["period_start"].date().isoformat(), row["org_unit_code"]): (
            row["numerator"],
            row["denominator"],
            Decimal(str(row["value"])),
        )
        for row in (dict(zip(header, c, strict=True)) for c in cells)
    }
    jan = "2026-01-01"
    # independent: January, 4 graded; 3 good or better (75.0 %); 1 outstanding (25.0 %)
    assert book[("QA-AUDITS-GRADED", jan, "council")] == (4, None, Decimal(4))
    assert book[("QA-GOOD-OR-BETTER", jan, "council")] == (3, 4, Decimal(str(round(300 / 4, 1))))
    assert book[("QA-GRADE-OUTSTANDING", jan, "council")] == (1, 4, Decimal("25"))
    as_json = await client.get("/v1/audit-statistics", params={"by": "agency"}, headers=h(AUDITOR))
    assert len(book) == len(as_json.json()["rows"])

    as_csv = await client.get(
        "/v1/audit-statistics", params={"by": "agency"}, headers=h(AUDITOR) | {"Accept": "text/csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    from_csv = {
        (x["indicator_code"], x["period_start"], x["org_unit_code"]): (
            int(x["numerator"]) if x["numerator"] else None,
            int(x["denominator"]) if x["denominator"] else None,
            Decimal(x["value"]),
        )
        for x in csv.DictReader(io.StringIO(as_csv.text))
    }
    assert from_csv == table(as_json.json()["rows"])


async def test_the_statistics_answer_json_to_format_json(client: httpx.AsyncClient) -> None:
    """Issue 18: `?format=json` (the default representation) is the JSON, not a 422."""
    await fixture(client)
    default = await client.get("/v1/audit-statistics", params={"by": "agency"}, headers=h(AUDITOR))
    r = await client.get(
        "/v1/audit-statistics",
        params={"by": "agency", "format": "json"},
        headers=h(AUDITOR) | {"Accept": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == default.json()
