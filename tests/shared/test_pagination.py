import pytest

from shared.pagination import SortKey, parse_sort
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
