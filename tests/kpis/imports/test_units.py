"""Pseudonyms, header keys and code normalisation, without a database."""

from __future__ import annotations

import hashlib
import hmac

import polars as pl
import pytest

from services.kpis.imports import codes as cl
from services.kpis.imports.pseudonymise import Pseudonymiser
from services.kpis.imports.specs import header_key

KEY = b"unit-test-key-0123456789"


def test_pseudonyms_are_hmac_sha256() -> None:
    pseudo = Pseudonymiser(KEY)
    expected = hmac.new(KEY, b"child:12345", hashlib.sha256).hexdigest()[:32]
    assert pseudo.child(" 12345 ") == expected
    column = pseudo.child_column(pl.Series("c", ["12345", None, "12345", "777"]))
    assert column.to_list() == [expected, None, expected, pseudo.child("777")]
    long_key = b"k" * 100  # longer than a block: hashed first, as RFC 2104 says
    assert (
        Pseudonymiser(long_key).child("1")
        == hmac.new(long_key, b"child:1", hashlib.sha256).hexdigest()[:32]
    )


def test_staff_codes_forgive_spacing_and_case() -> None:
    pseudo = Pseudonymiser(KEY)
    code = pseudo.staff("Dustin\xa0Hazlett")
    assert code == pseudo.staff("  dustin   HAZLETT ")
    assert code.startswith("W-")
    assert len(code) == 14
    assert code != Pseudonymiser(b"another-key-0123456789").staff("Dustin Hazlett")


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Child Unique ID", "child unique id"),
        ("  CHILD\xa0Unique  ID ", "child unique id"),
        ("Referral NFA?", "referral nfa"),
        ("Date of Adoption Order ", "date of adoption order"),
        (
            "Number of Episodes the Child has been ‘Missing’",
            "number of episodes the child has been missing",
        ),
    ],
)
def test_header_keys(header: str, key: str) -> None:
    assert header_key(header) == key


@pytest.mark.parametrize(
    ("raw", "codes", "expected"),
    [
        ("q) 6: Police", cl.SOURCE, "6"),
        ("b) 1B: Individual", cl.SOURCE, "1B"),
        ("6", cl.SOURCE, "6"),
        ("Police", cl.SOURCE, "6"),
        ("z) 99: Pigeon", cl.SOURCE, None),
        ("E1: Placement order", cl.LEGAL_STATUS, "E1"),
        ("V3", cl.LEGAL_STATUS, "V3"),
        ("a) Yes", cl.YES_NO, "Y"),
        ("No", cl.YES_NO, "N"),
        ("a) Suitable", cl.SUITABILITY, "1"),
        ("F3: Full time in training or employment", cl.ACTIVITY_BEFORE, "F3"),
        ("F3", cl.ACTIVITY_FROM, None),
        ("F5 - Full time employment", cl.ACTIVITY_FROM, "F5"),
    ],
)
def test_codes(raw: str, codes: cl.CodeList, expected: str | None) -> None:
    out = pl.DataFrame({"v": [raw]}).select(cl.code_expr("v", codes)).item()
    assert out == expected


def test_activity_codes_by_collection_year() -> None:
    assert cl.activity_codes(2017) is cl.ACTIVITY_BEFORE
    assert cl.activity_codes(2020) is cl.ACTIVITY_BEFORE
    assert cl.activity_codes(2021) is cl.ACTIVITY_FROM
    assert "F3" in cl.eet_codes(2017)
    assert "F3" not in cl.eet_codes(2023)
    assert cl.collection_year_of(2018, 3) == 2017
    assert cl.collection_year_of(2018, 4) == 2018


def test_pseudonym_columns_match_the_standard_library() -> None:
    """The plugin's column HMAC is RFC 2104 HMAC-SHA256, for any key (short, a block long,
    longer than a block, non-ASCII), and nulls stay null."""
    ids = [f"{1000 + i % 37}" for i in range(200)] + [None, "0", "C-123/45"]
    for key in (KEY, "k" * 64, "k" * 65, "clé-ünïcode-ß-0123456789"):
        raw = key if isinstance(key, bytes) else key.encode()
        pseudo = Pseudonymiser(key)
        expected = [
            None
            if v is None
            else hmac.new(raw, f"child:{v}".encode(), hashlib.sha256).hexdigest()[:32]
            for v in ids
        ]
        assert pseudo.child_column(pl.Series("child", ids)).to_list() == expected
        assert [None if v is None else pseudo.child(v) for v in ids] == expected
    assert Pseudonymiser(KEY).child_column(pl.Series("c", [None], dtype=pl.String)).to_list() == [
        None
    ]


def test_the_key_is_not_in_the_pseudonymisers_repr_nor_in_errors() -> None:
    """The key reaches the plugin as an argument: neither the pseudonymiser's repr nor a
    failing expression's error (which polars prints with the expression) shows it."""
    pseudo = Pseudonymiser(KEY)
    assert "unit-test-key" not in repr(pseudo)
    with pytest.raises(pl.exceptions.PolarsError) as failure:
        pseudo.child_column(pl.Series("child", [[1], [2]]))  # not text: refused
    assert "hmac_sha256" in str(failure.value)
    assert "unit-test-key" not in str(failure.value)
