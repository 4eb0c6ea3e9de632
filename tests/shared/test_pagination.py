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
