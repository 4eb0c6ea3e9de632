"""Issue 18 item 2: every list is sorted the same way. Every list operation of the merged
contract (as ``test_list_shape`` finds them) takes ``?sort=`` — a string naming the fields
it allows and its default order — through ``shared.pagination.sort_query``.

``SORT_NOT_YET`` names the lists that do not take ``sort`` yet, each with why; it only
shrinks (an entry that takes ``sort`` now fails the test).
"""

from __future__ import annotations

import re
from typing import Any

from tests.contract.test_list_shape import _lists

#: operation id → why it does not take ``sort`` yet.
SORT_NOT_YET: dict[str, str] = {}

DESCRIBED = re.compile(r"allowed: (?P<allowed>[a-z0-9_, ]+); default: (?P<default>[a-z0-9_,\-]+)")


def _sort_problem(op: dict[str, Any]) -> str | None:
    """Why this operation's ``sort`` parameter is not the common one (None: it is)."""
    params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
    sort = params.get("sort")
    if sort is None:
        return "no sort parameter"
    schema = sort.get("schema", {})
    types = {s.get("type") for s in schema.get("anyOf", [schema])}
    if "string" not in types or types - {"string", "null"}:
        return f"sort is not a string: {sorted(map(str, types))}"
    if sort.get("required"):
        return "sort is required"
    found = DESCRIBED.search(sort.get("description") or schema.get("description") or "")
    if found is None:
        return "sort's description does not list the allowed fields and the default"
    allowed = {f.strip() for f in found["allowed"].split(",")}
    # "id" alone: by the id every list breaks ties with, which an item may not show
    default = {f.lstrip("+-") for f in found["default"].split(",")} - {"id"}
    if not default <= allowed:
        return f"the default sorts by fields it does not allow: {sorted(default - allowed)}"
    return None


def test_every_list_takes_sort(merged: dict[str, Any]) -> None:
    lists = _lists(merged)
    assert len(lists) >= 30
    odd = {
        name: problem
        for name, (_, op, _) in sorted(lists.items())
        if name not in SORT_NOT_YET and (problem := _sort_problem(op)) is not None
    }
    assert odd == {}, "every list takes ?sort= through shared.pagination.sort_query"


def test_the_sort_not_yet_list_only_names_lists_that_still_need_it(
    merged: dict[str, Any],
) -> None:
    lists = _lists(merged)
    assert set(SORT_NOT_YET) <= set(lists), "an exempted list no longer exists: drop its entry"
    sorted_now = [n for n in SORT_NOT_YET if _sort_problem(lists[n][1]) is None]
    assert sorted_now == [], "these lists take sort now: drop them from SORT_NOT_YET"


def test_the_checker_tells_a_sorted_list_from_one_that_is_not() -> None:
    good = {
        "parameters": [
            {
                "name": "sort",
                "in": "query",
                "required": False,
                "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "description": "fields; allowed: ref, due_on, action_id; default: ref",
            }
        ]
    }
    assert _sort_problem(good) is None
    assert _sort_problem({"parameters": []}) == "no sort parameter"
    wrong_type = {"parameters": [{**good["parameters"][0], "schema": {"type": "integer"}}]}
    assert _sort_problem(wrong_type) is not None
    undocumented = {"parameters": [{**good["parameters"][0], "description": "sort order"}]}
    assert _sort_problem(undocumented) is not None
    bad_default = {
        "parameters": [
            {**good["parameters"][0], "description": "allowed: ref, title; default: -due_on"}
        ]
    }
    assert _sort_problem(bad_default) is not None
