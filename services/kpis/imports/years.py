"""The collection year of each file of an SSDA903 upload, which may hold several years.

An episodes file tells its year by its content: the latest episode start (``DECOM``) it
holds falls in the collection year it was returned for (a file lists the episodes open at
any time in the year, so earlier starts are common, later ones impossible). Other files
(OC3, header…) hold no such date: their year comes from their name (``oc3_2017-18.csv``,
``2017_18/oc3.csv``, ``OC3 201718.csv``), or from a bare year in the name that an episodes
file named the same way tells the meaning of (``episodes_2018.csv`` holding 2017/18 makes
``oc3_2018.csv`` a 2017/18 file too), or, when the upload holds one year only, that year.
Anything else is a problem naming the files: years are never mixed or guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.kpis.imports import codes as cl

#: ``2017-18``, ``2017_18``, ``201718``, ``2017 18``, ``2017-2018``
_SPAN = re.compile(r"(?<!\d)(20\d\d)\s*[-_/. ]?\s*(20)?(\d\d)(?!\d)")
#: ``2018`` on its own (the first or the last year of the collection? the episodes tell)
_BARE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def named_year(name: str) -> int | None:
    """The collection year a name spells out unambiguously (two consecutive years)."""
    for match in _SPAN.finditer(name):
        first = int(match.group(1))
        if int(match.group(3)) == (first + 1) % 100:
            return first
    return None


def bare_year(name: str) -> str | None:
    """A lone four-digit year in the name, as written (its meaning is learnt)."""
    if named_year(name) is not None:
        return None
    found = _BARE.findall(name)
    return found[-1] if found else None


def year_of_latest_start(latest: date | None) -> int | None:
    return None if latest is None else cl.collection_year_of(latest.year, latest.month)


@dataclass
class FileYear:
    name: str
    is_episodes: bool
    content: int | None = None  # episodes: the year of the latest start
    year: int | None = None


@dataclass
class YearProblems:
    """Files whose year is contradictory or cannot be told (errors naming the files)."""

    messages: list[tuple[str, str]]  # (file name, reason)


def settle(files: list[FileYear], asked: int | None) -> YearProblems:
    """Give each file its year (in place); the problems found on the way."""
    problems: list[tuple[str, str]] = []
    meaning: dict[str, set[int]] = {}
    for item in files:
        if not item.is_episodes:
            continue
        said = named_year(item.name)
        if item.content is not None and said is not None and said != item.content:
            problems.append(
                (
                    item.name,
                    f"the name says {_label(said)} but the episodes are of "
                    f"{_label(item.content)} (latest episode start)",
                )
            )
            continue
        item.year = item.content if item.content is not None else said
        token = bare_year(item.name)
        if token is not None and item.year is not None:
            meaning.setdefault(token, set()).add(item.year)
    known = {f.year for f in files if f.year is not None}
    for item in files:
        if item.year is not None or (item.is_episodes and item.content is not None):
            continue
        said = named_year(item.name)
        token = bare_year(item.name)
        if said is not None:
            item.year = said
        elif token is not None and len(meaning.get(token, ())) == 1:
            item.year = next(iter(meaning[token]))
        elif asked is not None:
            item.year = asked
        elif len(known) == 1:
            item.year = next(iter(known))
    years = {f.year for f in files if f.year is not None}
    if asked is not None:
        for item in files:
            if item.year is not None and item.year != asked:
                problems.append(
                    (
                        item.name,
                        f"the file is of {_label(item.year)}, not of the collection year "
                        f"asked for ({_label(asked)}): send that year's files only, or leave "
                        "collection_year out to import each year the files hold",
                    )
                )
    if len(years) > 1 or (asked is None and not years):
        for item in files:
            if item.year is None:
                problems.append(
                    (
                        item.name,
                        "the collection year of this file cannot be told (the upload holds "
                        f"{_labels(years) or 'no dated episodes'}): put the year in its name, "
                        "e.g. oc3_2017-18.csv, or send one year at a time with collection_year",
                    )
                )
    return YearProblems(problems)


def _label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _labels(years: Iterable[int | None]) -> str:
    return ", ".join(_label(y) for y in sorted(y for y in years if y is not None))
