"""Issue 17 item 3: the SSDA903 measures of the 2017/18 sample, worked out in plain Python.

Each figure is counted here from the CSV text, child by child (no SQL, nothing of the code
under test), following the definitions of services/kpis/imports/ssda903_measures.py.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tests.kpis.imports.conftest import SSDA903, ImportsApi
from tests.kpis.imports.helpers import csv_bytes

FILES = ["header.csv", "episodes.csv", "reviews.csv", "oc2.csv", "oc3.csv", "missing.csv"]
REF, FIRST = date(2018, 3, 31), date(2017, 4, 1)
NEW_PLACEMENT = {"S", "P", "T", "B", "U"}
TEMPORARY = {"T0", "T1", "T2", "T3", "T4"}
ADOPTION = {"A3", "A4", "A5", "A6"}


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text.strip() else None


def _rows(name: str) -> list[dict[str, str]]:
    with (SSDA903 / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def _years_before(day: date, years: int, months: int = 0) -> date:
    month = day.month - months
    year = day.year - years
    while month < 1:
        month += 12
        year -= 1
    # 31 March - 2y6m = 30 September (the last day of the month, as PostgreSQL does)
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


class Child:
    def __init__(self, episodes: list[dict[str, str]]) -> None:
        self.episodes = sorted(
            episodes, key=lambda e: (_day(e["DECOM"]), _day(e["DEC"]) or date.max)
        )
        # period of care and placement of each episode, walking the episodes in order
        self.period_start: list[date] = []
        self.placement_start: list[date] = []
        self.placement_id: list[int] = []
        self.period_id: list[int] = []
        placement, period = -1, -1
        for i, e in enumerate(self.episodes):
            start = _day(e["DECOM"])
            assert start is not None
            prev = self.episodes[i - 1] if i else None
            prev_end = _day(prev["DEC"]) if prev else None
            new_period = (
                prev is None or e["RNE"] == "S" or (prev_end is not None and prev_end < start)
            )
            new_place = new_period or (e["PLACE"] not in TEMPORARY and e["RNE"] in NEW_PLACEMENT)
            if new_place:
                placement += 1
            if new_period:
                period += 1
            self.period_start.append(start if new_period else self.period_start[-1])
            self.placement_start.append(start if new_place else self.placement_start[-1])
            self.placement_id.append(placement)
            self.period_id.append(period)
        # the files hold the year's episodes only: does the earliest one start the child's
        # period of care? (if not, it may have begun before the files)
        first = self.episodes[0]
        self.period_begins = first["RNE"] == "S"

    def open_at(self, day: date) -> int | None:
        """The index of the episode open at the end of ``day`` (short breaks: none)."""
        found = None
        for i, e in enumerate(self.episodes):
            start, end = _day(e["DECOM"]), _day(e["DEC"])
            assert start is not None
            if start <= day and (end is None or end > day) and e["LS"] not in ("V3", "V4"):
                found = i
        return found

    def in_year(self, short_breaks: bool = True) -> bool:
        for e in self.episodes:
            start, end = _day(e["DECOM"]), _day(e["DEC"])
            assert start is not None
            if not short_breaks and e["LS"] in ("V3", "V4"):
                continue
            if start <= REF and (end is None or end >= FIRST):
                return True
        return False

    def placements_in_year(self) -> int:
        ids = set()
        for i, e in enumerate(self.episodes):
            start, end = _day(e["DECOM"]), _day(e["DEC"])
            assert start is not None
            if start <= REF and (end is None or end >= FIRST):
                ids.add(self.placement_id[i])
        return len(ids)


def children() -> dict[str, Child]:
    by_child: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows("episodes.csv"):
        by_child[row["CHILD"]].append(row)
    return {child: Child(eps) for child, eps in by_child.items()}


def expected() -> tuple[dict[str, tuple[Any, int, int | None]], int]:
    kids = children()
    dob = {r["CHILD"]: _day(r["DOB"]) for r in _rows("header.csv")}
    in_care = {c: k.open_at(REF) for c, k in kids.items() if k.open_at(REF) is not None}
    three = sum(1 for c in in_care if kids[c].placements_in_year() >= 3)
    cohort_lt, stable, unplaced = 0, 0, 0
    two_years = _years_before(REF, 2)
    for c, i in in_care.items():
        k, born = kids[c], dob.get(c)
        assert i is not None
        if born is None or not _years_before(REF, 16) < born:  # under 16 on 31 March
            continue
        if k.period_start[i] > _years_before(REF, 2, 6):
            # not in the cohort as shown; unknown when the period may have begun earlier
            unplaced += k.period_id[i] == 0 and not k.period_begins
            continue
        cohort_lt += 1
        if k.placement_start[i] <= two_years:
            stable += 1
        elif k.episodes[i]["PLACE"] in ADOPTION:
            before = [
                k.placement_start[j]
                for j in range(len(k.episodes))
                if k.placement_id[j] == k.placement_id[i] - 1
                and k.period_start[j] == k.period_start[i]
            ]
            if before and before[0] <= two_years:
                stable += 1
    looked_after = {c for c, k in kids.items() if k.in_year(short_breaks=False)}
    missing: dict[str, set[str]] = {"M": set(), "A": set()}
    incidents = {"M": 0, "A": 0}
    for row in _rows("missing.csv"):
        start = _day(row["MIS_START"])
        if row["CHILD"] in looked_after and start is not None and FIRST <= start <= REF:
            missing[row["MISSING"]].add(row["CHILD"])
            incidents[row["MISSING"]] += 1
    oc2 = {r["CHILD"]: r for r in _rows("oc2.csv")}
    cohort = [c for c, i in in_care.items() if i is not None and kids[c].period_start[i] <= FIRST]

    def flag(column: str) -> int:
        return sum(1 for c in cohort if c in oc2 and oc2[c][column] == "1")

    scores = [
        int(oc2[c]["SDQ_SCORE"])
        for c in cohort
        if c in oc2
        and oc2[c]["SDQ_SCORE"].strip()
        and dob.get(c) is not None
        and _years_before(REF, 17) < dob[c] <= _years_before(REF, 5)  # type: ignore[operator]
    ]
    return {
        "PLACEMENT_STABILITY": (None, three, len(in_care)),
        "PLACEMENT_STABILITY_LT": (None, stable, cohort_lt),
        "MISSING_CHILDREN": (None, len(missing["M"]), len(looked_after)),
        "AWAY_CHILDREN": (None, len(missing["A"]), len(looked_after)),
        "MISSING_INCIDENTS": (incidents["M"], incidents["M"], None),
        "AWAY_INCIDENTS": (incidents["A"], incidents["A"], None),
        "HEALTH_ASSESSMENTS": (None, flag("HEALTH_ASSESSMENT"), len(cohort)),
        "DENTAL_CHECKS": (None, flag("TEETH_CHECK"), len(cohort)),
        "IMMUNISATIONS": (None, flag("IMMUNISATIONS"), len(cohort)),
        "SDQ_AVERAGE": (
            (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1")),
            sum(scores),
            len(scores),
        ),
    }, unplaced


async def test_ssda903_measures_match_an_independent_count(
    client: ImportsApi, recorded: list[dict[str, Any]]
) -> None:
    files = [(name, (SSDA903 / name).read_bytes()) for name in FILES]
    response = await client.upload("ssda903", files, collection_year=2017)
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert job["report"]["lists"] == {
        "cla_episode": 5050,
        "care_leaver": 53,
        "missing": 43,
        "health": 2675,
        "child_header": 2675,
    }
    # the header's dates of birth are not kept: the age on 31 March only
    dated = await client.scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'kpis' "
        "AND table_name = 'cm_child_header' AND data_type = 'date'"
    )
    assert dated == 0
    values = {
        v["indicator_code"]: v
        for v in await client.values(response.json()["id"])
        if v["period_type"] == "year" and v["org_unit_code"] == "LA"
    }
    figures, unplaced = expected()
    # children whose long-term stability turns on history before the files: left out, counted
    assert unplaced > 0  # the sample has such children
    assert job["report"]["placement_stability_lt_unplaced"] == {"2017/18": unplaced}
    handed = [
        v
        for call in recorded
        for v in call["values"]
        if v.indicator_code == "PLACEMENT_STABILITY_LT" and v.period_type == "year"
    ]
    assert len(handed) == 1
    assert handed[0].comment is not None
    assert handed[0].comment.startswith(f"{unplaced} children in care left out")
    for code, (value, numerator, denominator) in figures.items():
        got = values[code]
        assert (got["period_start"], got["period_end"]) == ("2017-04-01", "2018-03-31")
        assert got["numerator"] == numerator, code
        assert got["denominator"] == denominator, code
        assert numerator > 0, code  # the sample exercises every measure
        if value is not None:
            assert Decimal(str(got["value"])) == Decimal(value), code
        else:
            share = (Decimal(numerator) * 100 / Decimal(denominator or 1)).quantize(Decimal("0.1"))
            assert numerator < (denominator or 0), code
            assert Decimal(str(got["value"])) == share, code


EPISODE_COLUMNS = [
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
]  # fmt: skip
HEADER_COLUMNS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]


def _episode(child: str, start: str, reason: str, place: str, end: str = "") -> dict[str, str]:
    return {
        "CHILD": child, "DECOM": start, "RNE": reason, "LS": "C2", "CIN": "N1",
        "PLACE": place, "PLACE_PROVIDER": "PR1", "DEC": end, "REC": "E11" if end else "",
    }  # fmt: skip


async def test_long_term_stability_leaves_out_and_counts_what_it_cannot_place(
    client: ImportsApi,
) -> None:
    """On 31 March 2018 the cohort needs care since 30 September 2015 or before (2½ years)
    and stability a placement since 31 March 2016 or before (2 years). Worked by hand:

    - U1: shown from 1 June 2016 with an episode that starts no period of care (``RNE`` L):
      looked after since some unseen earlier day, perhaps before 30 September 2015: left out,
      counted;
    - S1: the same, but ``RNE`` S: the period of care starts there, too late: not in the
      cohort, nothing left out;
    - P1: shown from 1 January 2015 (``RNE`` P: whatever came before, in care since then at
      least): in the cohort, same placement since then: stable;
    - M1: in care from 1 January 2015 (S), a new placement (P) on 1 June 2017: in the
      cohort, not stable.

    So 1 stable of 2, 1 left out."""
    episodes = [
        _episode("U1", "01/06/2016", "L", "U1"),
        _episode("S1", "01/06/2016", "S", "U1"),
        _episode("P1", "01/01/2015", "P", "U1"),
        _episode("M1", "01/01/2015", "S", "U1", "01/06/2017"),
        _episode("M1", "01/06/2017", "P", "U2"),
    ]
    header = [
        {"CHILD": c, "SEX": "1", "DOB": "01/01/2010", "ETHNIC": "WBRI"}
        for c in ("U1", "S1", "P1", "M1")
    ]
    files = [
        ("episodes.csv", csv_bytes(episodes, EPISODE_COLUMNS)),
        ("header.csv", csv_bytes(header, HEADER_COLUMNS)),
    ]
    response = await client.upload("ssda903", files, collection_year=2017)
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert job["report"]["placement_stability_lt_unplaced"] == {"2017/18": 1}
    found = [
        v
        for v in await client.values(response.json()["id"])
        if v["indicator_code"] == "PLACEMENT_STABILITY_LT" and v["period_type"] == "year"
    ]
    assert [(v["numerator"], v["denominator"]) for v in found] == [(1, 2)]
