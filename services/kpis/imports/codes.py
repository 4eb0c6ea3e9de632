"""Code lists, versioned by collection year, and the normalisation of coded values.

Exports write codes in many ways: ``b) Female``, ``q) 6: Police``, ``N1 - Abuse or
neglect``, ``E1: Placement order``, plain ``F1``. :func:`code_expr` strips the list letter
(``b)``), takes the code before ``:`` or `` - `` and upper-cases it; a value without a code
part is matched on its label (case-folded) through the list's aliases.

A collection year is named by the calendar year it starts in: 2017 = 2017/18 (April 2017 to
March 2018). Code lists are kept per collection year, each edition naming the DfE
specification it comes from (:data:`EDITIONS`, :func:`for_year`). Care leavers' activity
codes changed in 2021/22: F3/P3 (training or employment) became F4/P4 (training) and F5/P5
(employment).

A value whose code is not in that year's list (unknown, or retired that year) is a warning:
the row is kept with the field "not known" (null), see :func:`unknown_reason`.
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
    #: the value itself is kept when unknown (free-text-like codes such as accommodation)
    lenient: bool = False
    #: the DfE specification (and its collection year) the list comes from
    spec: str = ""
    #: the name shared by every edition of a list that changes by collection year
    family: str = ""


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
ACTIVITY_BEFORE = CodeList(
    "activity (to 2020/21)",
    _codes(*_ACTIVITY_COMMON, "F3", "P3"),
    spec="DfE SSDA903 specification 2017/18 (OC3 ACTIV), in force 2017/18 to 2020/21",
    family="activity",
)
ACTIVITY_FROM = CodeList(
    "activity (from 2021/22)",
    _codes(*_ACTIVITY_COMMON, "F4", "P4", "F5", "P5"),
    spec="DfE SSDA903 specification 2021/22 (OC3 ACTIV), in force from 2021/22",
    family="activity",
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


#: family → editions as (first collection year, code list), oldest first
EDITIONS: dict[str, tuple[tuple[int, CodeList], ...]] = {
    "activity": ((0, ACTIVITY_BEFORE), (ACTIVITY_SPLIT_YEAR, ACTIVITY_FROM)),
}


def for_year(codes: CodeList, collection_year: int | None) -> CodeList:
    """The edition of ``codes`` in force in ``collection_year`` (the list itself when it
    does not change by year, or when the year is not known)."""
    editions = EDITIONS.get(codes.family)
    if not editions or collection_year is None:
        return codes
    found = codes
    for first, edition in editions:
        if collection_year >= first:
            found = edition
    return found


def year_label(collection_year: int) -> str:
    return f"{collection_year}/{(collection_year + 1) % 100:02d}"


def unknown_reason(code: str | None, codes: CodeList, collection_year: int | None) -> str:
    """Why a code is not taken, for the report: retired (in another edition of the list)
    or unknown; either way the row is kept with the field "not known". ``None``: a value
    that is not shaped like a code (not shown: it may be anything, a name included)."""
    where = f"{codes.name}; {codes.spec}" if codes.spec else codes.name
    if code is None:
        return f"a value that is not a code for {where} (not shown): kept as not known"
    other = [e for _, e in EDITIONS.get(codes.family, ()) if e is not codes]
    if collection_year is not None and any(code in e.codes for e in other):
        year = year_label(collection_year)
        return f"code {code!r} is not in the {year} list ({where}): kept as not known"
    return f"unknown code {code!r} for {where}: kept as not known"


def activity_codes(collection_year: int) -> CodeList:
    return for_year(ACTIVITY_BEFORE, collection_year)


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
