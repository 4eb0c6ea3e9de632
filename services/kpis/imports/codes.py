"""Code lists, versioned by collection year, and the normalisation of coded values.

Exports write codes in many ways: ``b) Female``, ``q) 6: Police``, ``N1 - Abuse or
neglect``, ``E1: Placement order``, plain ``F1``. :func:`code_expr` strips the list letter
(``b)``), takes the code before ``:`` or `` - `` and upper-cases it; a value without a code
part is matched on its label (case-folded) through the list's aliases.

A collection year is named by the calendar year it starts in: 2017 = 2017/18 (April 2017 to
March 2018). Care leavers' activity codes changed in 2021/22: F3/P3 (training or
employment) became F4/P4 (training) and F5/P5 (employment).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

ACTIVITY_SPLIT_YEAR = 2021


@dataclass(frozen=True)
class CodeList:
    name: str
    codes: frozenset[str]
    aliases: dict[str, str] = field(default_factory=dict)
    #: unknown values are warnings (kept) instead of errors
    lenient: bool = False


def _codes(*values: str) -> frozenset[str]:
    return frozenset(values)


YES_NO = CodeList(
    "yes/no",
    _codes("Y", "N"),
    {"yes": "Y", "y": "Y", "true": "Y", "1": "Y", "no": "N", "n": "N", "false": "N", "0": "N"},
)
SOURCE = CodeList(
    "contact or referral source",
    _codes(
        "1A",
        "1B",
        "1C",
        "1D",
        "2A",
        "2B",
        "3A",
        "3B",
        "3C",
        "3D",
        "3E",
        "3F",
        "4",
        "5A",
        "5B",
        "5C",
        "5D",
        "6",
        "7",
        "8",
        "9",
        "10",
    ),
    {"individual": "1B", "police": "6", "other": "8", "anonymous": "9", "unknown": "10"},
)
LEGAL_STATUS = CodeList(
    "legal status",
    _codes("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"),
)
SHORT_BREAK_LEGAL_STATUS = ("V3", "V4")
IN_TOUCH = CodeList(
    "in touch",
    _codes("YES", "NO", "DIED", "REFU", "NREQ", "RHOM"),
    {"y": "YES", "n": "NO", "yes": "YES", "no": "NO"},
)
SUITABILITY = CodeList(
    "suitability of accommodation", _codes("1", "2"), {"suitable": "1", "unsuitable": "2"}
)
ACCOMMODATION = CodeList(
    "accommodation",
    frozenset(
        {f"{letter}{n}" for letter in "BCDEGHKRSTUVWXYZ" for n in "12"}
        | {"0"}
        | set("BCDEGHKRSTUVWXYZ")
    ),
    lenient=True,
)
_ACTIVITY_COMMON = ("F1", "P1", "F2", "P2", "G4", "G5", "G6", "0")
ACTIVITY_BEFORE = CodeList("activity (to 2020/21)", _codes(*_ACTIVITY_COMMON, "F3", "P3"))
ACTIVITY_FROM = CodeList(
    "activity (from 2021/22)", _codes(*_ACTIVITY_COMMON, "F4", "P4", "F5", "P5")
)
CP_CATEGORY = CodeList(
    "category of abuse",
    _codes("PHYSICAL ABUSE", "EMOTIONAL ABUSE", "SEXUAL ABUSE", "NEGLECT", "MULTIPLE"),
    {
        "physical abuse": "PHYSICAL ABUSE",
        "emotional abuse": "EMOTIONAL ABUSE",
        "sexual abuse": "SEXUAL ABUSE",
        "neglect": "NEGLECT",
        "multiple": "MULTIPLE",
    },
)


def activity_codes(collection_year: int) -> CodeList:
    return ACTIVITY_FROM if collection_year >= ACTIVITY_SPLIT_YEAR else ACTIVITY_BEFORE


def eet_codes(collection_year: int) -> tuple[str, ...]:
    later = ("F4", "P4", "F5", "P5") if collection_year >= ACTIVITY_SPLIT_YEAR else ("F3", "P3")
    return ("F1", "P1", "F2", "P2", *later)


def collection_year_of(day_year: int, day_month: int) -> int:
    """The collection year (April–March, named by its first year) holding a month."""
    return day_year if day_month >= 4 else day_year - 1


_LETTER = r"^[a-zA-Z]{1,2}\)\s*"
_CODE = r"^([A-Za-z0-9]{1,6})\s*(?::|\s[-–]\s)"


def code_expr(column: str | pl.Expr, codes: CodeList) -> pl.Expr:
    """The canonical code of a text column (null when missing or unknown)."""
    source = pl.col(column) if isinstance(column, str) else column
    raw = source.str.replace(_LETTER, "").str.strip_chars()
    head = raw.str.extract(_CODE, 1).str.to_uppercase()
    candidate = pl.coalesce(head, raw.str.to_uppercase())
    aliased = raw.str.to_lowercase().replace_strict(codes.aliases, default=None)
    return pl.when(candidate.is_in(sorted(codes.codes))).then(candidate).otherwise(aliased)


def lenient_code_expr(column: str | pl.Expr) -> pl.Expr:
    """The code part of a value, known or not (for lenient lists)."""
    source = pl.col(column) if isinstance(column, str) else column
    raw = source.str.replace(_LETTER, "").str.strip_chars()
    head = raw.str.extract(_CODE, 1).str.to_uppercase()
    return pl.coalesce(head, raw.str.to_uppercase())
