"""Issue 18 item 2: one list shape. Every list operation of the merged contract answers a page
``{items, total, limit, offset}`` and takes ``limit`` and ``offset`` the same way; no operation
answers a bare JSON array.

A list operation is a ``GET`` whose answer is a page or an array, or whose operation id starts
with ``list``/``search``. ``NOT_YET`` names the lists still answering bare arrays, each with
why; it only shrinks (an entry that pages now fails the test).
"""

from __future__ import annotations

from typing import Any

from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from tests.contract.test_contract import operations, resolve

#: operation id → why it still answers a bare array.
NOT_YET: dict[str, str] = {}
PAGE_FIELDS = {"items", "total", "limit", "offset"}


def _schema(doc: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if schema is None:
        return None
    found: dict[str, Any] = resolve(doc, schema["$ref"]) if "$ref" in schema else schema
    return found


def _is_page(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    props = schema.get("properties", {})
    # the four members, required; a summary of every page may stand beside them (the board's
    # status lists count each status), never instead of them
    if not set(props) >= PAGE_FIELDS or not set(schema.get("required", [])) >= PAGE_FIELDS:
        return False
    items = props["items"]
    return (
        items.get("type") == "array"
        and all(props[k].get("type") == "integer" for k in ("total", "limit", "offset"))
        and "items" in items
    )


def _lists(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]]:
    found = {}
    for path, method, op in operations(doc):
        if method != "get":
            continue
        schema = _schema(doc, op)
        named = op["operationId"].startswith(("list", "search"))
        shaped = schema is not None and (
            schema.get("type") == "array" or set(schema.get("properties", {})) >= PAGE_FIELDS
        )
        if named or shaped:
            found[op["operationId"]] = (path, op, schema)
    return found


def test_every_list_answers_a_page(merged: dict[str, Any]) -> None:
    lists = _lists(merged)
    assert len(lists) >= 30
    bare = sorted(
        name
        for name, (_, _, schema) in lists.items()
        if name not in NOT_YET and not (schema is not None and _is_page(merged, schema))
    )
    assert bare == [], "lists answer {items, total, limit, offset} (shared.pagination.Page)"


def test_every_list_pages_with_the_same_parameters(merged: dict[str, Any]) -> None:
    odd = {}
    for name, (_, op, _) in _lists(merged).items():
        if name in NOT_YET:
            continue
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        limit, offset = params.get("limit"), params.get("offset")
        if limit is None or offset is None:
            odd[name] = "no limit/offset"
            continue
        got = (
            limit["schema"].get("maximum"),
            limit["schema"].get("default"),
            offset["schema"].get("minimum"),
        )
        if got != (MAX_LIMIT, DEFAULT_LIMIT, 0):
            odd[name] = str(got)
    assert odd == {}


def test_no_operation_answers_a_bare_array(merged: dict[str, Any]) -> None:
    bare = sorted(
        op["operationId"]
        for _, method, op in operations(merged)
        if (schema := _schema(merged, op)) is not None
        and schema.get("type") == "array"
        and op["operationId"] not in NOT_YET
        and method == "get"
    )
    assert bare == []


def test_the_not_yet_list_only_names_lists_that_still_need_it(merged: dict[str, Any]) -> None:
    lists = _lists(merged)
    assert set(NOT_YET) <= set(lists), "an exempted list no longer exists: drop its entry"
    paged = [n for n in NOT_YET if (s := lists[n][2]) is not None and _is_page(merged, s)]
    assert paged == [], "these lists page now: drop them from NOT_YET"


def test_the_checker_tells_a_page_from_an_array() -> None:
    page = {
        "properties": {
            "items": {"type": "array", "items": {"type": "string"}},
            "total": {"type": "integer"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
        "required": ["items", "total", "limit", "offset"],
    }
    assert _is_page({}, page)
    assert not _is_page({}, {"type": "array", "items": {"type": "string"}})
    assert not _is_page({}, {**page, "required": ["items"]})
