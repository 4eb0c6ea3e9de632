"""Issue 18 item 2 in kpis: every list sorts by ``?sort=`` (``-`` descending, ties broken by
the id); the default order is unchanged; an unknown field is a 422 problem naming ``sort``.
Each expected order is worked out here from the returned items (seed data)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.kpis.conftest import COUNCIL_MANAGER, as_
from tests.support.sorting import assert_same_items_both_ways, assert_sort_refused


async def _items(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    r = await client.get(path, params={"limit": 200, **params}, headers=as_(COUNCIL_MANAGER))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


@pytest.mark.parametrize("descending", [False, True])
async def test_benchmarks_sort_by_value_with_ties_by_id(
    client: httpx.AsyncClient, descending: bool
) -> None:
    items = await _items(client, "/v1/benchmarks")
    assert len(items) >= 3
    by_id = sorted(items, key=lambda b: b["benchmark_id"])
    expected = sorted(by_id, key=lambda b: Decimal(b["value"]), reverse=descending)
    got = await _items(client, "/v1/benchmarks", sort=("-" if descending else "") + "value")
    assert [b["benchmark_id"] for b in got] == [b["benchmark_id"] for b in expected]


async def test_benchmarks_default_is_unchanged(client: httpx.AsyncClient) -> None:
    items = await _items(client, "/v1/benchmarks")
    keys = [
        (b["indicator_code"], b["comparator"], b["period_label"], b["version"], b["benchmark_id"])
        for b in items
    ]
    explicit = await _items(
        client, "/v1/benchmarks", sort="indicator_code,comparator,period_label,version"
    )
    assert [b["benchmark_id"] for b in explicit] == [k[-1] for k in keys]


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/v1/targets", "financial_year"),
        ("/v1/org-units", "level"),
        ("/v1/indicators", "frequency"),
    ],
)
async def test_a_list_sorts_both_ways(client: httpx.AsyncClient, path: str, key: str) -> None:
    every = await _items(client, path)
    assert len(every) >= 3
    up = await _items(client, path, sort=key)
    down = await _items(client, path, sort="-" + key)
    assert [i[key] for i in up] == sorted(i[key] for i in every)
    assert [i[key] for i in down] == sorted((i[key] for i in every), reverse=True)
    # the same rows, only in another order
    assert sorted(map(repr, up)) == sorted(map(repr, every)) == sorted(map(repr, down))


@pytest.mark.parametrize(
    "path",
    [
        "/v1/indicators",
        "/v1/indicators/CIC_RATE/versions",
        "/v1/org-units",
        "/v1/targets",
        "/v1/benchmarks",
        "/v1/releases",
        "/v1/values",
        "/v1/imports",
    ],
)
async def test_an_unknown_sort_field_is_a_problem_naming_sort(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path, params={"sort": "secret_column"}, headers=as_(COUNCIL_MANAGER))
    assert_sort_refused(r, "secret_column")


def _every_field() -> list[tuple[str, str]]:
    from services.kpis.imports import service as imports
    from services.kpis.indicators import service as indicators
    from services.kpis.orgunits import service as orgunits
    from services.kpis.reference import service as reference
    from services.kpis.releases import service as releases
    from services.kpis.values import listing as values

    lists = {
        "/v1/indicators": indicators.INDICATOR_SORT,
        "/v1/indicators/CIC_RATE/versions": indicators.INDICATOR_SORT,
        "/v1/org-units": orgunits.UNIT_SORT,
        "/v1/targets": reference.TARGET_SORT,
        "/v1/benchmarks": reference.BENCHMARK_SORT,
        "/v1/releases": releases.RELEASE_SORT,
        "/v1/values": values.VALUE_SORT,
        "/v1/imports": imports.JOB_SORT,
    }
    return [(path, field) for path, fields in lists.items() for field in fields]


@pytest.mark.parametrize(("path", "field"), _every_field())
async def test_every_allowed_field_sorts_the_same_items(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    await assert_same_items_both_ways(lambda sort: _items(client, path, sort=sort), field)
