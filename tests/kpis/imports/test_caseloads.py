"""Issue 17 item 3: caseloads by worker and team on the last day of each month, counted
here child by child from the Annex A rows written (no SQL, nothing of the code under test)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from services.kpis.imports.pseudonymise import Pseudonymiser
from tests.kpis.imports.conftest import TEST_KEY, ImportsApi
from tests.kpis.imports.helpers import csv_bytes

CIN_HEADERS = ["Child Unique ID", "CIN Start Date", "CIN Closure Date"]
CP_HEADERS = [
    "Child Unique ID",
    "Child Protection Plan Start Date",
    "Child Protection Plan End Date",
]
CLA_HEADERS = [
    "Child Unique ID",
    "Date Started to be Looked After",
    "Date Ceased to be Looked After",
    "Child's Legal Status",
]
ALLOCATION = ["Allocated Team", "Allocated Worker"]
#: list → (child, start, end, team, worker)
ROWS = {
    "cin": [
        ("C1", "01/03/2017", "", "T-MASH", "Ann Example"),
        ("C2", "15/05/2017", "31/07/2017", "T-MASH", "Ann Example"),  # closed on 31 July
        ("C3", "01/06/2017", "", "T-ASSESS-B", "Bob Example"),
        ("C4", "01/04/2017", "", "T-ASSESS-B", ""),  # unallocated: no one's caseload
        ("C6", "01/04/2017", "", "", "Dan Example"),  # a worker, no team
    ],
    "cp": [
        ("C1", "01/06/2017", "10/10/2017", "T-MASH", "Ann Example"),  # C1 again, same worker
        ("C3", "01/08/2017", "", "T-MASH", "Cat Example"),  # C3: Bob's and Cat's
    ],
    "cla": [("C5", "01/07/2017", "28/02/2018", "T-ASSESS-B", "Bob Example")],
}


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _files() -> list[tuple[str, bytes]]:
    files = []
    for name, headers in (("cin", CIN_HEADERS), ("cp", CP_HEADERS), ("cla", CLA_HEADERS)):
        columns = headers + ALLOCATION
        rows = []
        for child, start, end, team, worker in ROWS[name]:
            cells = [child, start, end] + (["C2"] if name == "cla" else []) + [team, worker]
            rows.append(dict(zip(columns, cells, strict=True)))
        files.append((f"{name}.csv", csv_bytes(rows, columns)))
    return files


def months() -> tuple[date, date]:
    """The months an Annex A export covers: those of its dated events (here the plans'
    start dates: the episode lists date no event)."""
    starts = [_day(start) for _, start, _, _, _ in ROWS["cp"]]
    first, last = min(d for d in starts if d), max(d for d in starts if d)
    return first.replace(day=1), last.replace(day=1)


def expected() -> dict[tuple[str, date, str], tuple[Decimal, int, int | None]]:
    """(code, month, org) → (value, numerator, denominator), month by month."""
    staff = Pseudonymiser(TEST_KEY).staff
    found: dict[tuple[str, date, str], tuple[Decimal, int, int | None]] = {}
    month, final = months()
    while month <= final:
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        cases: dict[str, set[str]] = defaultdict(set)  # worker → children
        teams: dict[str, set[tuple[str, str]]] = defaultdict(set)  # team → (worker, child)
        for rows in ROWS.values():
            for child, start, end, team, worker in rows:
                began, ended = _day(start), _day(end)
                assert began is not None
                if not worker or began > last or (ended is not None and ended <= last):
                    continue
                cases[staff(worker)].add(child)
                if team:
                    teams[team].add((staff(worker), child))
                teams["LA"].add((staff(worker), child))
        for worker, children in cases.items():
            found[("CASELOAD", month, worker)] = (Decimal(len(children)), len(children), None)
        for org, pairs in teams.items():
            children = {c for _, c in pairs}
            workers = {w for w, _ in pairs}
            found[("CASELOAD", month, org)] = (Decimal(len(children)), len(children), None)
            mean = (Decimal(len(pairs)) / len(workers)).quantize(Decimal("0.1"))
            found[("CASELOAD_AVG", month, org)] = (mean, len(pairs), len(workers))
        month = last + timedelta(days=1)
    return found


async def test_caseloads_per_worker_and_team_at_each_month_end(client: ImportsApi) -> None:
    response = await client.upload("annex_a", _files(), collection_year=2017)
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    got = {
        (v["indicator_code"], date.fromisoformat(v["period_start"]), v["org_unit_code"]): (
            Decimal(str(v["value"])),
            v["numerator"],
            v["denominator"],
        )
        for v in await client.values(job["id"])
        if v["indicator_code"] in ("CASELOAD", "CASELOAD_AVG")
    }
    want = expected()
    assert got == want
    # what the rows say, by hand: end of July, Ann holds C1 only (C2 closed that day), Bob
    # C3, Cat nobody yet; end of August T-MASH holds 2 cases (Ann: C1, Cat: C3) for 2
    # workers; Dan (no team) counts for the authority: C1, C3 (Bob's and Cat's), C5, C6
    ann = Pseudonymiser(TEST_KEY).staff("Ann Example")
    assert months() == (date(2017, 6, 1), date(2017, 8, 1))
    assert want[("CASELOAD", date(2017, 7, 1), ann)][1] == 1
    assert want[("CASELOAD_AVG", date(2017, 8, 1), "T-MASH")][1:] == (2, 2)
    assert want[("CASELOAD", date(2017, 8, 1), "LA")][1] == 4
    assert want[("CASELOAD_AVG", date(2017, 8, 1), "LA")][1:] == (5, 4)
