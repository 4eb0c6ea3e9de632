"""Synthetic CIN census files (the XML of the 2023/24 specification) for tests and benchmarks.

Deterministic for a seed. Each child has one to three referrals (some before the
collection year, so re-referrals and children in need at the start of the year occur),
assessments with factors, section 47 enquiries with conferences and protection plans.
Dates are valid and in order, so a generated file imports without errors; tests add
their own hand-made children (:class:`Child`) for the boundary cases.

    python -m services.kpis.imports.cin_generator --children 100000 --out /tmp/cin.xml
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

SOURCES = ("1A", "1B", "2A", "3A", "3D", "5A", "6", "8", "9", "10")
FACTORS = ("1B", "2B", "3A", "3B", "4B", "6A", "8F", "11A", "16A", "17A", "18C", "23A")
CATEGORIES = ("NEG", "PHY", "EMO", "SAB", "MUL")
DISABILITIES = ("NONE", "NONE", "NONE", "NONE", "AUT", "LD", "MOB", "COMM")


@dataclass
class Assessment:
    start: date
    authorised: date | None = None
    factors: tuple[str, ...] = ()


@dataclass
class Section47:
    start: date
    icpc: date | None = None
    not_required: bool | None = None


@dataclass
class Plan:
    start: date
    end: date | None = None
    category: str = "NEG"
    previous: int | None = 0


@dataclass
class Details:
    referral: date
    source: str | None = "6"
    nfa: bool | None = False
    closure: date | None = None
    reason: str | None = None
    assessments: list[Assessment] = field(default_factory=list)
    section47: list[Section47] = field(default_factory=list)
    plans: list[Plan] = field(default_factory=list)


@dataclass
class Child:
    id: str
    details: list[Details]
    disabilities: tuple[str, ...] = ("NONE",)
    upn: str | None = None
    birth: date | None = None


def _d(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _el(name: str, value: str | bool | int | None) -> str:
    if value is None:
        return ""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"<{name}>{escape(text)}</{name}>"


def child_xml(child: Child) -> str:
    parts = [
        "<Child><ChildIdentifiers>",
        _el("LAchildID", child.id),
        _el("UPN", child.upn),
        _el("PersonBirthDate", _d(child.birth)),
        "</ChildIdentifiers><ChildCharacteristics>",
        _el("Ethnicity", "WBRI"),
        "<Disabilities>",
        *(_el("Disability", code) for code in child.disabilities),
        "</Disabilities></ChildCharacteristics>",
    ]
    for d in child.details:
        parts += [
            "<CINdetails>",
            _el("CINreferralDate", _d(d.referral)),
            _el("ReferralSource", d.source),
            _el("PrimaryNeedCode", "N1"),
            _el("CINclosureDate", _d(d.closure)),
            _el("ReasonForClosure", d.reason),
            _el("ReferralNFA", d.nfa),
        ]
        for a in d.assessments:
            parts += [
                "<Assessments>",
                _el("AssessmentActualStartDate", _d(a.start)),
                _el("AssessmentAuthorisationDate", _d(a.authorised)),
                "<FactorsIdentifiedAtAssessment>",
                *(_el("AssessmentFactors", f) for f in a.factors),
                "</FactorsIdentifiedAtAssessment></Assessments>",
            ]
        for s in d.section47:
            parts += [
                "<Section47>",
                _el("S47ActualStartDate", _d(s.start)),
                _el("InitialCPCtarget", _d(s.start + timedelta(days=21))),
                _el("DateOfInitialCPC", _d(s.icpc)),
                _el("ICPCnotRequired", s.not_required),
                "</Section47>",
            ]
        for p in d.plans:
            parts += [
                "<ChildProtectionPlans>",
                _el("CPPstartDate", _d(p.start)),
                _el("CPPendDate", _d(p.end)),
                _el("InitialCategoryOfAbuse", p.category),
                _el("LatestCategoryOfAbuse", p.category),
                _el("NumberOfPreviousCPP", p.previous),
                "</ChildProtectionPlans>",
            ]
        parts.append("</CINdetails>")
    parts.append("</Child>")
    return "".join(parts)


def write(out: IO[str], year: int, children: Iterable[Child]) -> None:
    """A census of collection year ``year`` (2023 = 2023/24, reference date 31 March
    2024) holding ``children``, written as it goes (nothing kept)."""
    out.write('<?xml version="1.0" encoding="utf-8"?>\n<Message><Header><CollectionDetails>')
    out.write(f"<Collection>CIN</Collection><Year>{year + 1}</Year>")
    out.write(f"<ReferenceDate>{year + 1}-03-31</ReferenceDate></CollectionDetails>")
    out.write("<Source><SourceLevel>L</SourceLevel><LEA>999</LEA></Source></Header><Children>\n")
    for child in children:
        out.write(child_xml(child))
        out.write("\n")
    out.write("</Children></Message>\n")


def census_bytes(year: int, children: Iterable[Child]) -> bytes:
    import io

    buffer = io.StringIO()
    write(buffer, year, children)
    return buffer.getvalue().encode()


def children(count: int, year: int, seed: int = 17) -> Iterator[Child]:
    """``count`` valid children for collection year ``year``."""
    rng = random.Random(seed)
    first = date(year - 1, 4, 1)  # a year of history before the collection year
    span = (date(year + 1, 3, 31) - first).days
    for n in range(count):
        details: list[Details] = []
        day = first + timedelta(days=rng.randrange(0, span - 60))
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            if day > date(year + 1, 3, 31):
                break
            details.append(_details(rng, day, date(year + 1, 3, 31)))
            closure = details[-1].closure
            day = (closure or day) + timedelta(days=rng.randrange(1, 200))
            if closure is None:
                break
        yield Child(
            f"LA{n:07d}",
            details,
            (rng.choice(DISABILITIES),),
            upn=f"A{n:012d}",
            birth=date(2010, 1, 1) + timedelta(days=n % 4000),
        )


def _details(rng: random.Random, referral: date, reference: date) -> Details:
    if rng.random() < 0.1:
        return Details(referral, rng.choice(SOURCES), True, referral, "RC8")
    d = Details(referral, rng.choice(SOURCES), False)
    start = referral + timedelta(days=rng.randrange(0, 5))
    authorised = start + timedelta(days=rng.randrange(5, 80))
    factors = tuple(sorted(rng.sample(FACTORS, rng.randrange(0, 3)))) or ("21",)
    if authorised <= reference:
        d.assessments.append(Assessment(start, authorised, factors))
    else:
        d.assessments.append(Assessment(start))
    last = authorised
    if rng.random() < 0.3:
        s47 = start + timedelta(days=rng.randrange(0, 10))
        icpc = s47 + timedelta(days=rng.randrange(3, 30)) if rng.random() < 0.6 else None
        d.section47.append(Section47(s47, icpc if icpc and icpc <= reference else None))
        if icpc is not None and icpc <= reference:
            end = icpc + timedelta(days=rng.randrange(60, 900))
            d.plans.append(Plan(icpc, end if end <= reference else None, rng.choice(CATEGORIES), 0))
            last = max(last, end)
    closure = last + timedelta(days=rng.randrange(1, 120))
    if closure <= reference and rng.random() < 0.7:
        d.closure, d.reason = closure, "RC1"
    return d


def main() -> None:  # pragma: no cover - a command-line convenience
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=2023)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with args.out.open("w", encoding="utf-8") as out:
        write(out, args.year, children(args.children, args.year))


if __name__ == "__main__":  # pragma: no cover
    main()
