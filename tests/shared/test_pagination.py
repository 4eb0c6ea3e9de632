import pytest

from shared.pagination import SortKey, parse_sort, sort_query
from shared.problems import InvalidInput


def test_sort_parses_directions() -> None:
    assert parse_sort("-due_date, ref", ["ref", "due_date"], "ref") == [
        SortKey("due_date", True),
        SortKey("ref", False),
    ]


def test_sort_default_applies() -> None:
    assert parse_sort(None, ["ref"], "ref") == [SortKey("ref")]


def test_unknown_sort_field_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_sort("password", ["ref", "due_date"], "ref")
    assert "ref, due_date" in err.value.extensions["errors"][0]["message"]


async def test_sort_query_works_as_a_dependency() -> None:
    from typing import Annotated

    from fastapi import APIRouter

    from shared.app import build_app
    from shared.config import ServiceSettings
    from tests.support.apps import client_for

    router = APIRouter()

    @router.get("/things")
    async def things(
        sort: Annotated[list[SortKey], sort_query(["ref", "due_date"], "ref")],
    ) -> list[str]:
        return [("-" if k.descending else "") + k.field for k in sort]

    app = build_app(
        ServiceSettings(profile="test"),
        title="t",
        description="t",
        routers=[router],
        use_database=False,
    )
    async with client_for(app) as client:
        assert (await client.get("/things?sort=-due_date,ref")).json() == ["-due_date", "ref"]
        assert (await client.get("/things")).json() == ["ref"]
        bad = await client.get("/things?sort=secret")
        assert bad.status_code == 422
        assert "ref, due_date" in bad.text
    assert "sort" in str(app.openapi()["paths"]["/things"])


def test_order_by_maps_keys_to_columns_and_ends_with_the_id() -> None:
    from sqlalchemy import Column, Integer, MetaData, String, Table, select
    from sqlalchemy.dialects import postgresql

    from shared.pagination import order_by

    thing = Table(
        "thing",
        MetaData(),
        Column("thing_id", Integer),
        Column("ref", String),
        Column("due", String),
    )
    columns = {"ref": thing.c.ref, "due_date": thing.c.due}
    keys = parse_sort("-due_date,ref", list(columns), "ref")
    sql = str(
        select(thing.c.thing_id)
        .order_by(*order_by(keys, columns, thing.c.thing_id))
        .compile(dialect=postgresql.dialect())
    )
    assert sql.endswith("ORDER BY thing.due DESC, thing.ref ASC, thing.thing_id")
    default = str(
        select(thing.c.thing_id)
        .order_by(*order_by(parse_sort(None, list(columns), ""), columns, thing.c.thing_id))
        .compile(dialect=postgresql.dialect())
    )
    assert default.endswith("ORDER BY thing.thing_id")


def test_a_default_naming_an_unknown_field_is_refused_when_the_route_is_declared() -> None:
    with pytest.raises(InvalidInput):
        sort_query(["ref"], "-due_date")


def test_an_unknown_field_is_not_echoed() -> None:
    with pytest.raises(InvalidInput) as err:
        parse_sort("secret_column", ["ref"], "ref")
    assert "secret_column" not in str(err.value.extensions) + str(err.value)


def test_sort_items_orders_in_memory_with_missing_values_last_and_ties_by_id() -> None:
    from shared.pagination import SortKey, sort_items

    rows = [(4, "b", None), (1, "a", 2), (3, "b", 1), (2, "a", None), (5, "a", 2)]
    fields = {"name": lambda r: r[1], "rank": lambda r: r[2]}

    def by_id(r: tuple[int, str, int | None]) -> int:
        return r[0]

    asc = sort_items(rows, [SortKey("rank", False)], fields, by_id)
    assert [r[0] for r in asc] == [3, 1, 5, 2, 4]
    desc = sort_items(rows, [SortKey("rank", True)], fields, by_id)
    assert [r[0] for r in desc] == [1, 5, 3, 2, 4]
    two = sort_items(rows, [SortKey("name", True), SortKey("rank", False)], fields, by_id)
    assert [r[0] for r in two] == [3, 4, 1, 5, 2]
