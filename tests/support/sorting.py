"""The checks every list's ``?sort=`` gets, whichever service answers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx


def assert_sort_refused(r: httpx.Response, unknown: str) -> None:
    """A sort by an ``unknown`` field: a 422 problem naming ``sort``, the name not echoed."""
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["sort"]
    assert unknown not in r.text


async def assert_same_items_both_ways(
    listed: Callable[[str | None], Awaitable[list[Any]]], field: str
) -> None:
    """Sorting by ``field``, either way, gives the same items as the default order."""
    every = await listed(None)
    for sort in (field, "-" + field):
        assert sorted(map(repr, await listed(sort))) == sorted(map(repr, every))
