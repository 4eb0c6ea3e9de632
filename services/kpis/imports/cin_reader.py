"""The CIN census XML read as a stream of children, each checked on its own.

``lxml.etree.iterparse`` hands over one ``Child`` element at a time; once read it is
cleared and detached, so memory holds one child (and the block being built), never the
tree. The parser resolves no entity, loads no DTD and opens no network connection.

Each child is checked whole: a problem names the child's position in the file (1 for the
first ``Child``), the element (``CINdetails[2]/Assessments[1]/AssessmentAuthorisationDate``)
and the reason, never a value (no identifier, date or code is quoted). A child with a
problem gives no row at all; the others give rows per list (:class:`ChildRows`).

Conventions: a referral is a re-referral when the same child has another referral dated
strictly earlier and no more than 12 calendar months before it (29 February less 12
months is 28 February, as PostgreSQL and ``rereferrals.py`` count); every referral of a
child is inside its ``Child`` element, so no other child is needed. A children-in-need
episode is a referral that was not closed with no further action (``ReferralNFA`` true).
Disabled: any ``Disability`` code other than ``NONE``. Factors count once per assessment,
for authorised assessments only.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from services.kpis.imports import cin_specs as cs

TRUE = {"true": True, "1": True, "false": False, "0": False}
MIN_YEAR = 1900
MAX_YEAR = 2100


class UnreadableCensus(Exception):
    """The file is not a CIN census (not XML, no header, no collection year): nothing of it
    can be stored. The message names no value of the file."""


@dataclass(frozen=True)
class Header:
    collection_year: int
    reference_date: date


@dataclass
class ChildRows:
    """The rows of the children of one block, per list (``pos``: the child's position)."""

    referral: list[tuple[Any, ...]] = field(default_factory=list)
    cin_episode: list[tuple[Any, ...]] = field(default_factory=list)
    assessment: list[tuple[Any, ...]] = field(default_factory=list)
    assessment_factor: list[tuple[Any, ...]] = field(default_factory=list)
    s47: list[tuple[Any, ...]] = field(default_factory=list)
    cp_plan: list[tuple[Any, ...]] = field(default_factory=list)
    #: (position, LAchildID) of every good child (the duplicate check, pseudonyms)
    children: list[tuple[int, str]] = field(default_factory=list)


#: list name → column names of its rows (after ``pos`` and ``child``)
COLUMNS: dict[str, tuple[str, ...]] = {
    "referral": ("referral_date", "source", "nfa", "rereferral"),
    "cin_episode": ("start_date", "end_date", "disabled"),
    "assessment": ("start_date", "authorised_date"),
    "assessment_factor": ("authorised_date", "factor"),
    "s47": ("s47_date", "icpc_date", "icpc_unnecessary"),
    "cp_plan": ("start_date", "end_date", "category", "previous_plans"),
}

#: the lists a child's rows are added to as it is read (the referrals wait for its end)
_STAGED = ("cin_episode", "assessment", "assessment_factor", "s47", "cp_plan")

#: an issue of one child: (position, element path, reason)
Problem = tuple[int, str, str]


def _local(tag: object) -> str:
    text = str(tag)
    return text.rsplit("}", 1)[-1]


#: an element's children by local name (one pass over them: ``find`` with a namespace
#: wildcard costs ~9 µs a call, a third of the reading time)
Index = dict[str, list[Any]]


def _index(element: Any) -> Index:
    found: Index = {}
    for item in element:
        tag = item.tag
        if not isinstance(tag, str):  # a comment or processing instruction
            continue
        name = tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag
        found.setdefault(name, []).append(item)
    return found


def _text(parent: Index, name: str) -> str | None:
    found = parent.get(name)
    if not found or found[0].text is None:
        return None
    value: str = found[0].text.strip()
    return value or None


def _all(parent: Index, name: str) -> list[Index]:
    return [_index(item) for item in parent.get(name, ())]


#: elements that hold others (kept as lists of elements by :func:`_scan`) and leaves that
#: repeat (kept as lists of their texts); any other child is a leaf whose first text counts
_GROUPS = frozenset(
    {
        "ChildIdentifiers",
        "ChildCharacteristics",
        "Disabilities",
        "CINdetails",
        "Assessments",
        "FactorsIdentifiedAtAssessment",
        "Section47",
        "ChildProtectionPlans",
    }
)
_REPEATED = frozenset({"Disability", "AssessmentFactors"})
#: tag (as lxml gives it, ``{namespace}name`` or ``name``) → local name
_LOCAL: dict[str, str] = {}

#: a leaf's first text (``None``: no such leaf, or no text)
Texts = dict[str, str | None]
Groups = dict[str, list[Any]]


def _scan(element: Any) -> tuple[Texts, Groups]:
    """One pass over ``element``'s children: the first text of each leaf, the texts of the
    repeated leaves and the groups' elements, by local name. Each child's proxy and tag are
    made once; nothing else is built (the cost of reading a child is mostly here)."""
    texts: Texts = {}
    groups: Groups = {}
    for item in element:
        tag = item.tag
        if tag.__class__ is not str:  # a comment or processing instruction
            continue
        name = _LOCAL.get(tag)
        if name is None:
            name = _LOCAL.setdefault(tag, tag.rsplit("}", 1)[-1] if tag[:1] == "{" else tag)
        if name in _GROUPS or name in _REPEATED:
            found = groups.get(name)
            if found is None:
                groups[name] = found = []
            found.append(item.text if name in _REPEATED else item)
        elif name not in texts:
            texts[name] = item.text
    return texts, groups


def _clean(raw: str | None) -> str | None:
    if raw is None:
        return None
    return raw.strip() or None


def _parse_date(text: str) -> date | None:
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


#: what a date's text says, by the text as read (a year has 366 days, so a file's dates
#: repeat): a date, :data:`_BLANK` (only spaces) or :data:`_BAD`; bounded
_DAYS: dict[str, object] = {}
_DAYS_KEPT = 20_000
_BLANK, _BAD = object(), object()


def _day(raw: str) -> object:
    found = _DAYS.get(raw)
    if found is None:
        text = raw.strip()
        found = (_parse_date(text) or _BAD) if text else _BLANK
        if len(_DAYS) >= _DAYS_KEPT:
            _DAYS.clear()
        _DAYS[raw] = found
    return found


def twelve_months_before(day: date) -> date:
    year = day.year - 1
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


_NOT_A_DATE = "not a date (expected yyyy-mm-dd)"
#: ``NumberOfPreviousCPP``: the most digits read (the store keeps a 32-bit integer)
_DIGITS = 9


class _Child:
    """Checks one ``Child`` element, collecting its problems and its rows.

    The checks, in this order for each element (the order of the problems): required dates
    present, dates well-formed, codes in the year's lists, flags true or false, dates in
    order. A problem's path (``CINdetails[2]/Assessments[1]/…``) is built only then."""

    def __init__(self, element: Any, position: int, codes: cs.YearCodes) -> None:
        self.element, self.pos, self.codes = element, position, codes
        self.problems: list[Problem] = []
        self.child: str | None = None

    def problem(self, path: str, reason: str) -> None:
        self.problems.append((self.pos, path, reason))

    def day(self, texts: Texts, where: str, name: str, required: bool = False) -> date | None:
        raw = texts.get(name)
        found = _BLANK if raw is None else _day(raw)
        if found.__class__ is date:
            return found
        if found is _BAD:
            self.problem(where + name, _NOT_A_DATE)
        elif required:
            self.problem(where + name, "missing value")
        return None

    def code(
        self, texts: Texts, where: str, name: str, known: frozenset[str], label: str
    ) -> str | None:
        raw = texts.get(name)
        if raw is None:
            return None
        if raw in known:  # as written: already trimmed, upper case
            return raw
        value = raw.strip().upper()
        if not value:
            return None
        if value not in known:
            self.problem(where + name, f"unknown code for {label} ({self.codes.label})")
            return None
        return value

    def flag(self, texts: Texts, where: str, name: str) -> bool | None:
        raw = texts.get(name)
        if raw is None:
            return None
        value = TRUE.get(raw)  # as written: "true", "false", "1", "0"
        if value is not None:
            return value
        text = raw.strip()
        if not text:
            return None
        value = TRUE.get(text.lower())
        if value is None:
            self.problem(where + name, "not true or false")
        return value

    def read(self, rows: ChildRows) -> bool:
        """The child's rows added to ``rows`` when it has no problem; ``False`` otherwise."""
        codes, pos = self.codes, self.pos
        _, element = _scan(self.element)
        identifiers = element.get("ChildIdentifiers")
        child = _clean(_scan(identifiers[0])[0].get("LAchildID")) if identifiers else None
        if child is None:
            self.problem("ChildIdentifiers/LAchildID", "missing value")
        self.child = child
        disabled = False
        for traits in element.get("ChildCharacteristics", ()):
            for holder in _scan(traits)[1].get("Disabilities", ()):
                found_codes = _scan(holder)[1].get("Disability", ())
                for number, text in enumerate(found_codes, start=1):
                    raw = (text or "").strip().upper()
                    if raw not in codes.disabilities:
                        where = f"ChildCharacteristics/Disabilities/Disability[{number}]"
                        self.problem(where, f"unknown code for disability ({codes.label})")
                    elif raw != cs.NO_DISABILITY:
                        disabled = True
        referrals: list[tuple[date, str | None, bool | None]] = []
        # the child's rows go straight into the block's lists, cut off again on a problem
        found = rows
        marks = [len(getattr(rows, name)) for name in _STAGED]
        for d, details in enumerate(element.get("CINdetails", ()), start=1):
            texts, groups = _scan(details)
            path = f"CINdetails[{d}]/"
            start = self.day(texts, path, "CINreferralDate", required=True)
            source = self.code(texts, path, "ReferralSource", codes.sources, "referral source")
            self.code(texts, path, "PrimaryNeedCode", codes.primary_need, "primary need")
            end = self.day(texts, path, "CINclosureDate")
            self.code(texts, path, "ReasonForClosure", codes.closure_reasons, "closure reason")
            nfa = self.flag(texts, path, "ReferralNFA")
            if end is not None and start is not None and end < start:
                self.problem(path + "CINclosureDate", "before CINreferralDate")
            if start is not None:
                referrals.append((start, source, nfa))
                if not nfa:
                    found.cin_episode.append((pos, child, start, end, disabled))
            if "Assessments" in groups:
                self._assessments(groups["Assessments"], path, found)
            if "Section47" in groups:
                self._section47(groups["Section47"], path, found)
            if "ChildProtectionPlans" in groups:
                self._plans(groups["ChildProtectionPlans"], path, found)
        if self.problems or child is None:
            for name, mark in zip(_STAGED, marks, strict=True):
                del getattr(rows, name)[mark:]
            return False
        for start, source, nfa in referrals:
            flag = None if nfa is None else ("Y" if nfa else "N")
            again = False
            if len(referrals) > 1:
                earlier = twelve_months_before(start)
                again = any(earlier <= other < start for other, _, _ in referrals)
            rows.referral.append((pos, child, start, source, flag, again))
        rows.children.append((pos, child))
        return True

    def _assessments(self, items: list[Any], path: str, found: ChildRows) -> None:
        known = self.codes.factors
        for a, item in enumerate(items, start=1):
            texts, groups = _scan(item)
            where = f"{path}Assessments[{a}]/"
            start = self.day(texts, where, "AssessmentActualStartDate", required=True)
            done = self.day(texts, where, "AssessmentAuthorisationDate")
            if done is not None and start is not None and done < start:
                self.problem(
                    where + "AssessmentAuthorisationDate", "before AssessmentActualStartDate"
                )
            factors: set[str] = set()
            holders = groups.get("FactorsIdentifiedAtAssessment")
            lists = (
                [_scan(holder)[1].get("AssessmentFactors", ()) for holder in holders]
                if holders
                else [groups.get("AssessmentFactors", ())]
            )
            for texts_of_holder in lists:
                for number, text in enumerate(texts_of_holder, start=1):
                    raw = (text or "").strip().upper()
                    if raw not in known:
                        label = f"unknown code for assessment factor ({self.codes.label})"
                        self.problem(f"{where}AssessmentFactors[{number}]", label)
                    else:
                        factors.add(raw)
            if start is None:
                continue
            found.assessment.append((self.pos, self.child, start, done))
            if done is not None and factors:
                found.assessment_factor.extend(
                    (self.pos, self.child, done, f) for f in sorted(factors)
                )

    def _section47(self, items: list[Any], path: str, found: ChildRows) -> None:
        for s, item in enumerate(items, start=1):
            texts = _scan(item)[0]
            where = f"{path}Section47[{s}]/"
            start = self.day(texts, where, "S47ActualStartDate", required=True)
            self.day(texts, where, "InitialCPCtarget")
            icpc = self.day(texts, where, "DateOfInitialCPC")
            unnecessary = self.flag(texts, where, "ICPCnotRequired")
            if icpc is not None and start is not None and icpc < start:
                self.problem(where + "DateOfInitialCPC", "before S47ActualStartDate")
            if start is not None:
                flag = None if unnecessary is None else ("Y" if unnecessary else "N")
                found.s47.append((self.pos, self.child, start, icpc, flag))

    def _plans(self, items: list[Any], path: str, found: ChildRows) -> None:
        categories = self.codes.categories
        for p, item in enumerate(items, start=1):
            texts = _scan(item)[0]
            where = f"{path}ChildProtectionPlans[{p}]/"
            start = self.day(texts, where, "CPPstartDate", required=True)
            end = self.day(texts, where, "CPPendDate")
            category = self.code(
                texts, where, "InitialCategoryOfAbuse", categories, "category of abuse"
            )
            self.code(texts, where, "LatestCategoryOfAbuse", categories, "category of abuse")
            previous: int | None = None
            raw = _clean(texts.get("NumberOfPreviousCPP"))
            if raw is not None:
                # decimal digits only (``isdigit`` also takes "²", which ``int`` refuses),
                # at most :data:`_DIGITS` of them
                previous = int(raw) if raw.isdecimal() and len(raw) <= _DIGITS else None
                if previous is None:
                    self.problem(
                        where + "NumberOfPreviousCPP", "not a whole number (up to 9 digits)"
                    )

            if end is not None and start is not None and end < start:
                self.problem(where + "CPPendDate", "before CPPstartDate")
            if start is not None:
                found.cp_plan.append((self.pos, self.child, start, end, category, previous))


def _header(element: Any, given: int | None) -> Header:
    found = _all(_index(element), "CollectionDetails")
    if not found:
        raise UnreadableCensus("Header/CollectionDetails is missing")
    raw = _text(found[0], "ReferenceDate")
    reference = _parse_date(raw) if raw else None
    if reference is None:
        raise UnreadableCensus("Header/CollectionDetails/ReferenceDate is missing or not a date")
    year = reference.year - 1 if reference.month <= 3 else reference.year
    if not cs.year_supported(year):
        raise UnreadableCensus(
            f"the census year is not read (from {cs.FIRST_YEAR}/{(cs.FIRST_YEAR + 1) % 100:02d})"
        )
    if given is not None and given != year:
        raise UnreadableCensus(
            "Header/CollectionDetails/ReferenceDate is not in the collection year asked for"
        )
    return Header(year, reference)


def read_census(
    path: Path,
    given_year: int | None,
    block_children: int,
    on_header: Callable[[Header], None],
    on_block: Callable[[ChildRows, list[Problem], int], None],
) -> int:
    """Stream the census at ``path``: ``on_header`` once, then ``on_block(rows, problems,
    children read so far)`` every ``block_children`` children and at the end. Returns the
    number of children read. Raises :class:`UnreadableCensus` when the file is no census
    (some blocks may have been handed over before a syntax error further on: the caller
    stores nothing then)."""
    header: Header | None = None
    rows, problems = ChildRows(), []
    position = 0
    codes: cs.YearCodes | None = None
    for element in _elements(path):
        name = _local(element.tag)
        if name == "Header":
            if header is not None:
                raise UnreadableCensus("more than one Header")
            header = _header(element, given_year)
            codes = cs.codes_for(header.collection_year)
            on_header(header)
            _release(element)
            continue
        if codes is None:
            raise UnreadableCensus("a Child comes before the Header's CollectionDetails")
        position += 1
        checked = _Child(element, position, codes)
        checked.read(rows)
        problems.extend(checked.problems)
        _release(element)
        if position % block_children == 0:
            on_block(rows, problems, position)
            rows, problems = ChildRows(), []
    if header is None:
        raise UnreadableCensus("no Header/CollectionDetails: not a CIN census")
    on_block(rows, problems, position)
    return position


#: how every census parse is set up (this reader's, and the columnar reader's validating
#: and per-child parses, which must refuse exactly what this one refuses): no entity
#: resolved, no DTD, no network, lxml's size limits, comments dropped
PARSER_SETTINGS: dict[str, bool] = {
    "resolve_entities": False,
    "load_dtd": False,
    "no_network": True,
    "huge_tree": False,
    "remove_comments": True,
}


def _elements(path: Path) -> Iterator[Any]:
    parser = etree.iterparse(
        str(path), events=("end",), tag=("{*}Header", "{*}Child"), **PARSER_SETTINGS
    )
    try:
        for _event, element in parser:
            yield element
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise UnreadableCensus(f"not well-formed XML{where}") from None
    except OSError:
        raise UnreadableCensus("the file cannot be read") from None


def _release(element: Any) -> None:
    """Forget a read element and the siblings before it (memory: one child at a time)."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
