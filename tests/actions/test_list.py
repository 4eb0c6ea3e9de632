"""Reading: filters, sorting, pagination, free text, recommendation, sprint, my agency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, report, who

VIEW = who("police", "viewer")


async def _refs(client: httpx.AsyncClient, **params: Any) -> list[str]:
    r = await client.get("/v1/actions", params={"limit": 200, **params}, headers=VIEW)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return [a["ref"] for a in body["items"]]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"theme": 2}, ["2A1", "2B1", "2B2", "2C1", "2C2", "2C3", "2D1", "2E1"]),
        ({"criterion": "3B"}, ["3B1", "3B2"]),
        ({"agency": "police"}, ["5D2"]),
        ({"recommendation": 14}, ["3F3", "3F4", "3F6"]),
        ({"q": "privately fostered"}, ["3E1", "5D6"]),
        ({"q": "100%"}, []),
        (
            {"due_after": "2018-09-01", "due_before": "2018-09-30"},
            ["1C2", "5A1", "5A2", "5A3", "5A4", "5B3"],
        ),
        ({"sprint": 1, "theme": 1}, ["1C3"]),  # only 30/09/17 falls in weeks 1-12
        ({"status": "in_progress"}, []),
        (
            {"overdue": "true", "theme": 1},
            [
                "1A1",
                "1A2",
                "1B1",
                "1C1",
                "1C2",
                "1C3",
                "1C4",
                "1C5",
                "1C6",
                "1D1",
                "1E1",
            ],
        ),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, plan_id: int, params: dict[str, Any], expected: list[str]
) -> None:
    assert await _refs(client, plan_id=plan_id, **params) == expected


async def test_status_rag_owner_filters(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "5B3")
    await report(client, act, who("probation", "contributor"), percent=40, rag="green")
    assert await _refs(client, plan_id=plan_id, status=["in_progress", "blocked"]) == ["5B3"]
    assert await _refs(client, plan_id=plan_id, declared_rag="green") == ["5B3"]
    # all seed dates are long past: the green declaration disagrees with the red trajectory
    r = await client.get(f"/v1/actions/{act}", headers=VIEW)
    assert (r.json()["computed_rag"], r.json()["rag_disagrees"]) == ("red", True)
    assert "5B3" in await _refs(client, plan_id=plan_id, computed_rag="red")
    assert await _refs(client, plan_id=plan_id, computed_rag="green") == []
    owner = r.json()["owners"][0]["owner_id"]
    assert await _refs(client, plan_id=plan_id, owner_id=owner) == ["5B3"]  # Chair of MACSE
    updates = await client.get(f"/v1/actions/{act}/updates", headers=VIEW)
    assert updates.json()["total"] == 1
    assert updates.json()["items"][0]["agency"] == "probation"


async def test_sort_and_pages(client: httpx.AsyncClient, plan_id: int) -> None:
    params = {"plan_id": plan_id, "sort": "-due_on,ref", "limit": 5}
    first = (await client.get("/v1/actions", params=params, headers=VIEW)).json()
    assert first["total"] == 87
    assert [a["ref"] for a in first["items"]][:1] == ["1C2"]  # 30/09/18, the latest date
    second = (await client.get("/v1/actions", params=params | {"offset": 5}, headers=VIEW)).json()
    assert not {a["ref"] for a in first["items"]} & {a["ref"] for a in second["items"]}
    bad = await client.get("/v1/actions", params={"sort": "secret_column"}, headers=VIEW)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "sort"
    assert (await client.get("/v1/actions", params={"ref": "1A"}, headers=VIEW)).status_code == 422


async def test_my_agency(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/actions/mine", headers=who("probation", "viewer"))
    assert [a["ref"] for a in r.json()["items"]] == [
        "1A1",
        "1B1",
        "1C1",
        "1D1",
        "2B1",
        "2B2",
        "3A1",
        "5B3",
        "5D2",
    ]
