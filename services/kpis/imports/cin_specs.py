"""The CIN census: its code lists per collection year and the years it is read for.

A collection year is named by the year it starts in (2023 = 2023/24, April 2023 to March
2024); the census header's ``ReferenceDate`` is its 31 March. The import follows the
2023/24 specification and reads the earlier years back to 2013/14, where the differences
are code lists only:

- assessment factors: ``18A`` (physical abuse) and ``19A`` (sexual abuse) were split in
  2018/19 into ``18B``/``18C`` and ``19B``/``19C`` (by a child / by an adult); ``22A``
  (abuse linked to faith or belief) from 2016/17; ``23A`` (child criminal exploitation)
  from 2018/19; ``24A`` from 2021/22;
- reasons for closure ``RC1`` … ``RC9`` throughout (``RC8``/``RC9``, case closed after
  assessment, from 2013/14).

Codes are compared after trimming and upper-casing (``neg`` is ``NEG``).

**Not verified against the DfE specification.** These lists were written from memory and
checked on 4 December 2026 with the project's search tools (queries for the CIN census
specification's code tables: factors identified at assessment, reasons for closure, primary
need, referral source). No copy of the specification's tables was found: the only hits
were the contents page of the "Children in need census 2021 to 2022: guide for local
authorities" (DfE, October 2020; readkong.com mirror) and the gov.uk page of the 2014 to
2015 guide, neither showing the codes. So nothing here was changed, and the lists stand
unverified. Known doubts, to settle against the specification of each year:

- ``22A``/``23A``/``24A``: the years and meanings above are uncertain; they may instead be
  female genital mutilation (``22A``) and abuse linked to faith or belief (``23A``), both
  from 2015/16, and child criminal exploitation (``24A``) from a later year. A file
  using a factor before the year this module admits it is refused with an issue naming
  the element (never silently dropped), so an error here shows as a rejected child;
- ``RC9`` (case closed after assessment, referred to early help): its first year;
- the split of ``18A``/``19A`` into ``B``/``C``: its first year (2018/19 here).

Referral sources (``1A``-``10``), primary need (``N0``-``N9``), categories of abuse and the
disability codes are the long-standing DfE lists, also unverified here.
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
CLOSURE_REASONS = frozenset(f"RC{n}" for n in range(1, 10))
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
_SPLIT_ABUSE_YEAR = 2018


def factors(year: int) -> frozenset[str]:
    """The assessment factor codes of collection year ``year``."""
    codes = set(_FACTORS_ALWAYS)
    if year >= _SPLIT_ABUSE_YEAR:
        codes |= {"18B", "18C", "19B", "19C", "23A"}
    else:
        codes |= {"18A", "19A"}
    if year >= 2016:
        codes.add("22A")
    if year >= 2021:
        codes.add("24A")
    return frozenset(codes)


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
        CLOSURE_REASONS,
        CP_CATEGORIES,
        DISABILITIES,
        factors(min(year, SPEC_YEAR)),
    )


def year_supported(year: int) -> bool:
    return FIRST_YEAR <= year <= LAST_YEAR
