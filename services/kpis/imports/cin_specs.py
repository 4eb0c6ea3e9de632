"""The CIN census: its code lists per collection year and the years it is read for.

A collection year is named by the year it starts in (2023 = 2023/24, April 2023 to March
2024); the census header's ``ReferenceDate`` is its 31 March. The import follows the
2023/24 specification and reads the earlier years back to 2013/14, where the differences
are code lists only:

- assessment factors: ``22A`` (female genital mutilation) and ``23A`` (abuse linked to
  faith or belief) from 2015/16; ``18A`` (physical abuse) and ``19A`` (sexual abuse) split
  in 2020/21 into ``18B``/``18C`` and ``19B``/``19C`` (by another child / by an adult);
  ``24A`` (child criminal exploitation) from 2021/22;
- reasons for closure ``RC1`` … ``RC8`` throughout; ``RC9`` (case closed after
  assessment, referred to early help) from 2022/23.

Codes are compared after trimming and upper-casing (``neg`` is ``NEG``).

Source, checked 4 December 2026: no copy of the DfE specification's code tables was found
with the project's search tools (only the contents page of the "Children in need census
2021 to 2022: guide for local authorities" and a summary of the 2024-25 specification).
The lists above follow the XML schemas per census year published by Social Finance in
``SocialFinanceDigitalLabs/liia-tools`` (``liiatools/cin_census_pipeline/spec/
CIN_schema_{2016,2018,2020,2021,2022,2023,2024}.xsd``), a third-party transcription of the
DfE schemas with each code's DfE label. Those files are named by the year the census ends
(their 2024 file still has ``GenderCurrent``, which the 2024-25 specification replaced by
``Sex``), so ``CIN_schema_2021`` is 2020/21 here. What they show, against what this module
said before: ``22A``/``23A`` are FGM and faith or belief and both in the oldest schema (was:
``22A`` from 2016/17, ``23A`` child criminal exploitation from 2018/19); ``18A``/``19A``
still in the 2019/20 schema, the split first in 2020/21 (was: 2018/19); ``RC9`` only from
the 2022/23 schema (was: every year); ``24A`` first in 2021/22 (unchanged). Referral
sources (``1A``-``10``), primary need (``N0``-``N9``), categories of abuse and disability
codes in the 2022/23 and 2023/24 schemas equal the lists below (of the older schemas only
the reasons for closure, the factors and, for 2019/20, primary need were read). Still to
confirm against the DfE specification itself: the first year of ``22A``/``23A`` (2015/16
is the oldest schema seen, so they may be older) and the naming of the schema files by the
year the census ends.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the first collection year read (2013/14: referrals with no further action recorded)
FIRST_YEAR = 2013
LAST_YEAR = 2040
#: the specification the import follows; later years use its lists
SPEC_YEAR = 2023

SOURCES = frozenset(
    {
        *("1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E", "3F"),
        *("4", "5A", "5B", "5C", "5D", "6", "7", "8", "9", "10"),
    }
)
PRIMARY_NEED = frozenset(f"N{n}" for n in range(10))
CLOSURE_REASONS = frozenset(f"RC{n}" for n in range(1, 9))
#: "case closed after assessment, referred to early help", from 2022/23
CLOSURE_EARLY_HELP = "RC9"
_EARLY_HELP_CLOSURE_YEAR = 2022
CP_CATEGORIES = frozenset({"NEG", "PHY", "EMO", "SAB", "MUL"})
DISABILITIES = frozenset(
    {"NONE", "MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA"}
)
NO_DISABILITY = "NONE"
#: the factor that says no factor was identified (alone at an assessment)
NO_FACTORS = "21"

_FACTORS_ALWAYS = frozenset(
    {
        *(f"{n}{letter}" for n in range(1, 7) for letter in "ABC"),
        *("7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A"),
        *("14A", "15A", "16A", "17A", "20", NO_FACTORS),
    }
)
#: 18A/19A split into 18B/18C and 19B/19C (2020/21); FGM and faith or belief (2015/16);
#: child criminal exploitation (2021/22)
_SPLIT_ABUSE_YEAR = 2020
_FGM_FAITH_YEAR = 2015
_CRIMINAL_EXPLOITATION_YEAR = 2021


def factors(year: int) -> frozenset[str]:
    """The assessment factor codes of collection year ``year``."""
    codes = set(_FACTORS_ALWAYS)
    if year >= _SPLIT_ABUSE_YEAR:
        codes |= {"18B", "18C", "19B", "19C"}
    else:
        codes |= {"18A", "19A"}
    if year >= _FGM_FAITH_YEAR:
        codes |= {"22A", "23A"}
    if year >= _CRIMINAL_EXPLOITATION_YEAR:
        codes.add("24A")
    return frozenset(codes)


def closure_reasons(year: int) -> frozenset[str]:
    """The reasons for closure of collection year ``year``."""
    if year >= _EARLY_HELP_CLOSURE_YEAR:
        return CLOSURE_REASONS | {CLOSURE_EARLY_HELP}
    return CLOSURE_REASONS


#: every factor code of any year (the indicators computed for them)
ALL_FACTORS: tuple[str, ...] = tuple(
    sorted(
        set().union(*(factors(y) for y in range(FIRST_YEAR, SPEC_YEAR + 1))),
        key=lambda c: (int(c.rstrip("ABCDEF")), c),
    )
)
FACTOR_PREFIX = "CIN_FACTOR_"


@dataclass(frozen=True)
class YearCodes:
    """The code lists one collection year's census is checked against."""

    year: int
    sources: frozenset[str]
    primary_need: frozenset[str]
    closure_reasons: frozenset[str]
    categories: frozenset[str]
    disabilities: frozenset[str]
    factors: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d}"


def codes_for(year: int) -> YearCodes:
    """The lists of ``year`` (a later year than the specification's: the specification's)."""
    return YearCodes(
        year,
        SOURCES,
        PRIMARY_NEED,
        closure_reasons(min(year, SPEC_YEAR)),
        CP_CATEGORIES,
        DISABILITIES,
        factors(min(year, SPEC_YEAR)),
    )


def year_supported(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR
