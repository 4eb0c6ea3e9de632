"""Issue 18 item 2 in audit: every list sorts by ``?sort=`` (``-`` descending, ties broken by
the id); the default order is unchanged (the trail newest first, ``order=oldest`` still
turning it round); an unknown field is a 422 problem naming ``sort``. Each expected order is
worked out here from the returned items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.audit.conftest import as_, event, reader, relay_caller
from tests.audit.qa import AUDITOR, audit, h, ok, programme, tool
from tests.audit.test_qa_findings import new_finding
from tests.support.sorting import assert_same_items_both_ways, assert_sort_refused


async def _items(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    body = await ok(await client.get(path, params={"limit": 200, **params}, headers=headers))
    assert body["total"] == len(body["items"])
    return list(body["items"])


def _ordered(items: list[dict[str, Any]], key: str, ident: str, descending: bool) -> list[Any]:
    """The ids in ``key`` order (descending when asked), equal keys by ascending id."""
    by_id = sorted(items, key=lambda i: i[ident])
    return [i[ident] for i in sorted(by_id, key=lambda i: i[key], reverse=descending)]


async def test_findings_sort_by_due_date_both_ways_with_ties_by_id(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    made, _ = await audit(client, p["programme_id"])
    for due in ("2099-03-01", "2099-01-31", "2099-03-01", "2099-02-15"):
        body = {
            "audit_id": made["audit_id"],
            "severity": "high",
            "description": "Strategy discussion not held within timescale",
            "owner": "MASH team manager",
            "agency": "council",
            "due_date": due,
        }
        await ok(await client.post("/v1/findings", json=body, headers=h(AUDITOR)), 201)
    items = await _items(client, "/v1/findings", h(AUDITOR), audit_id=made["audit_id"])
    assert len(items) == 4
    assert [f["finding_id"] for f in items] == sorted(f["finding_id"] for f in items)
    for sort, descending in (("due_date", False), ("-due_date", True)):
        got = await _items(client, "/v1/findings", h(AUDITOR), audit_id=made["audit_id"], sort=sort)
        assert [f["finding_id"] for f in got] == _ordered(
            items, "due_date", "finding_id", descending
        )


async def test_the_trail_sorts_by_occurrence_and_keeps_its_order_parameter(
    client: httpx.AsyncClient,
) -> None:
    start = datetime(2024, 5, 1, tzinfo=UTC)
    # appended in this order, occurring out of order
    offsets = [3, 1, 4, 2]
    events = [event(occurred_at=(start + timedelta(hours=n)).isoformat()) for n in offsets]
    r = await client.post("/v1/trail/events", json={"events": events}, headers=as_(relay_caller()))
    assert r.status_code in (200, 201), r.text
    who = as_(reader())
    # the relay's events only: each search is itself recorded (source "audit")
    newest = await _items(client, "/v1/trail", who, source="actions")
    assert [e["seq"] for e in newest] == sorted((e["seq"] for e in newest), reverse=True)
    oldest = await _items(client, "/v1/trail", who, source="actions", order="oldest")
    assert len(newest) == 4
    assert [e["seq"] for e in oldest] == sorted(e["seq"] for e in newest)
    for sort, descending in (("occurred_at", False), ("-occurred_at", True)):
        got = await _items(client, "/v1/trail", who, source="actions", sort=sort)
        expected = sorted(
            sorted(newest, key=lambda e: e["seq"]),
            key=lambda e: datetime.fromisoformat(e["occurred_at"]),
            reverse=descending,
        )
        assert [e["seq"] for e in got] == [e["seq"] for e in expected]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/audit-tools",
        "/v1/audit-programmes",
        "/v1/audits",
        "/v1/findings",
        "/v1/trail",
        "/v1/trail/checkpoints",
    ],
)
async def test_an_unknown_sort_field_is_a_problem_naming_sort(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path, params={"sort": "-secret_column"}, headers=as_(reader()))
    assert_sort_refused(r, "secret_column")


async def test_a_programme_criteria_list_refuses_an_unknown_sort_field(
    client: httpx.AsyncClient,
) -> None:
    t = await tool(client)
    p = await programme(client, t["tool_id"])
    path = f"/v1/audit-programmes/{p['programme_id']}/criteria"
    r = await client.get(path, params={"sort": "nope"}, headers=h(AUDITOR))
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["sort"]
    assert (
        await client.get(path, params={"sort": "-criterion_code"}, headers=h(AUDITOR))
    ).is_success


def _every_field() -> list[tuple[str, str]]:
    from services.audit.audits import service as audits
    from services.audit.findings import service as findings
    from services.audit.programmes import service as programmes
    from services.audit.tools import service as tools
    from services.audit.trail import reading

    lists = {
        "/v1/audit-tools": tools.TOOL_SORT,
        "/v1/audit-programmes": programmes.PROGRAMME_SORT,
        "/v1/audits": audits.AUDIT_SORT,
        "/v1/findings": findings.FINDING_SORT,
        "/v1/trail/checkpoints": reading.CHECKPOINT_SORT,
    }
    return [(path, field) for path, fields in lists.items() for field in fields]


@pytest.mark.parametrize(("path", "field"), _every_field())
async def test_every_allowed_field_sorts_the_same_items(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    await new_finding(client)  # a tool, a programme, an audit and a finding to list
    who = as_(reader()) if path.startswith("/v1/trail") else h(AUDITOR)
    await assert_same_items_both_ways(lambda sort: _items(client, path, who, sort=sort), field)
