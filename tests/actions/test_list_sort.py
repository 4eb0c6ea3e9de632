"""Issue 18 item 2 in actions: every list sorts by ``?sort=`` (``-`` descending, ties
broken by the id); the default order is unchanged; an unknown field is a 422 problem naming
``sort``. Each expected order is worked out here from the returned items."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.actions.conftest import action_id, manager, report, who
from tests.support.sorting import assert_same_items_both_ways, assert_sort_refused

VIEW = who("police", "viewer")


async def _items(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(path, params={"limit": 200, **params}, headers=VIEW)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


def _ordered(items: list[dict[str, Any]], key: str, ident: str, descending: bool) -> list[Any]:
    """The ids in ``key`` order (descending when asked), equal keys by ascending id."""
    by_id = sorted(items, key=lambda i: i[ident])
    return [i[ident] for i in sorted(by_id, key=lambda i: i[key], reverse=descending)]


@pytest.mark.parametrize(
    ("path", "key", "ident"),
    [
        ("/v1/sprints", "start_date", "sprint_id"),
        ("/v1/recommendations", "number", "recommendation_id"),
        ("/v1/themes", "number", "theme_id"),
        ("/v1/success-criteria", "theme_number", "criterion_id"),
    ],
)
async def test_a_list_sorts_both_ways_with_ties_by_id(
    client: httpx.AsyncClient, plan_id: int, path: str, key: str, ident: str
) -> None:
    items = await _items(client, path, plan_id=plan_id)
    assert len(items) >= 3
    up = await _items(client, path, plan_id=plan_id, sort=key)
    down = await _items(client, path, plan_id=plan_id, sort="-" + key)
    assert [i[ident] for i in up] == _ordered(items, key, ident, descending=False)
    assert [i[ident] for i in down] == _ordered(items, key, ident, descending=True)


async def test_recommendations_default_is_source_descending_then_number(
    client: httpx.AsyncClient, plan_id: int
) -> None:
    items = await _items(client, "/v1/recommendations", plan_id=plan_id)
    sources = [i["source"] for i in items]
    assert sources == sorted(sources, reverse=True)  # 'ofsted' before 'lscb', as before
    for source in set(sources):
        numbers = [i["number"] for i in items if i["source"] == source]
        assert numbers == sorted(numbers)
    by_number = await _items(client, "/v1/recommendations", plan_id=plan_id, sort="number,source")
    pairs = [(i["number"], i["source"]) for i in by_number]
    assert pairs == sorted(pairs)


async def test_progress_updates_sort_by_percent_both_ways(
    client: httpx.AsyncClient, conn: AsyncConnection, plan_id: int
) -> None:
    act = await action_id(conn, plan_id, "1A1")
    for percent in (40, 10, 40, 25):
        r = await report(client, act, manager(), percent=percent)
        assert r.status_code == 201, r.text
    path = f"/v1/actions/{act}/updates"
    items = await _items(client, path)
    assert len(items) == 4
    # the default, as before: newest first (one transaction: equal times, the later id first)
    newest = sorted(items, key=lambda u: (u["created_at"], u["update_id"]), reverse=True)
    assert [u["update_id"] for u in items] == [u["update_id"] for u in newest]
    for sort, descending in (("percent_complete", False), ("-percent_complete", True)):
        got = [u["update_id"] for u in await _items(client, path, sort=sort)]
        assert got == _ordered(items, "percent_complete", "update_id", descending)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/plans",
        "/v1/themes",
        "/v1/success-criteria",
        "/v1/owners",
        "/v1/sprints",
        "/v1/reminders",
        "/v1/risks",
        "/v1/recommendations",
        "/v1/success-criteria/indicators",
        "/v1/actions/mine",
    ],
)
async def test_an_unknown_sort_field_is_a_problem_naming_sort(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path, params={"sort": "ref,-secret_column"}, headers=VIEW)
    assert_sort_refused(r, "secret_column")


def _every_field() -> list[tuple[str, str]]:
    from services.actions.actions import service as actions
    from services.actions.criteria import service as criteria
    from services.actions.plans import service as plans
    from services.actions.recommendations import service as recommendations
    from services.actions.reminders import service as reminders
    from services.actions.risks import service as risks
    from services.actions.sprints import service as sprints

    lists = {
        "/v1/actions": actions.SORTABLE,
        "/v1/plans": plans.PLAN_SORT,
        "/v1/themes": plans.THEME_SORT,
        "/v1/success-criteria": plans.CRITERION_SORT,
        "/v1/owners": plans.OWNER_SORT,
        "/v1/sprints": sprints.SPRINT_SORT,
        "/v1/reminders": reminders.REMINDER_SORT,
        "/v1/risks": risks.RISK_SORT,
        "/v1/recommendations": recommendations.RECOMMENDATION_SORT,
        "/v1/success-criteria/indicators": criteria.LINK_SORT,
    }
    return [(path, field) for path, fields in lists.items() for field in fields]


@pytest.mark.parametrize(("path", "field"), _every_field())
async def test_every_allowed_field_sorts_the_same_items(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    await assert_same_items_both_ways(lambda sort: _items(client, path, sort=sort), field)
