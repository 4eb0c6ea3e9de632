"""Issue 17 item 3: the front door's decision within one working day (contacts with a
decision date) and early help assessments (Annex A List 2), counted here from the rows."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

from tests.kpis.imports.conftest import ImportsApi
from tests.kpis.imports.helpers import csv_bytes

CONTACT_HEADERS = ["Child Unique ID", "Date of Contact", "Contact Source", "Date of Decision"]
#: (child, contact, decision)
CONTACTS = [
    ("A1", "26/05/2017", "30/05/2017"),  # Fri → Tue after the spring bank holiday: 1 day
    ("A2", "02/06/2017", "05/06/2017"),  # Fri → Mon: 1
    ("A3", "01/06/2017", "05/06/2017"),  # Thu → Mon: 2, late
    ("A4", "12/06/2017", "12/06/2017"),  # the same day: 0
    ("A5", "13/06/2017", ""),  # no decision recorded: not counted
    ("A6", "25/08/2017", "29/08/2017"),  # Fri → Tue after the summer bank holiday: 1
    ("A7", "24/08/2017", "29/08/2017"),  # Thu → Tue: 2, late
]
#: England and Wales bank holidays of the period (gov.uk)
HOLIDAYS = {date(2017, 5, 29), date(2017, 8, 28)}
EH_HEADERS = [
    "Child Unique ID",
    "Assessment start date",
    "Assessment completion date",
    "Organisation completing assessment",
]
EARLY_HELP = [
    ("E1", "03/05/2017", "20/06/2017", "Top Town Academy"),
    ("E2", "17/05/2017", "", "Early Help Locality 2"),
    ("E3", "01/06/2017", "30/06/2017", "Early Help Locality 2"),
    ("E4", "05/08/2017", "", "Top Town Academy"),
]


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def working_days(start: date, end: date) -> int:
    """Weekdays after ``start`` up to ``end``, bank holidays excluded."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in HOLIDAYS:
            days += 1
    return days


async def test_decisions_within_one_working_day_and_early_help(client: ImportsApi) -> None:
    contacts = [dict(zip(CONTACT_HEADERS, (c, d, "6", e), strict=True)) for c, d, e in CONTACTS]
    early = [dict(zip(EH_HEADERS, row, strict=True)) for row in EARLY_HELP]
    files = [
        ("contacts.csv", csv_bytes(contacts, CONTACT_HEADERS)),
        ("early_help.csv", csv_bytes(early, EH_HEADERS)),
    ]
    response = await client.upload("annex_a", files, collection_year=2017)
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    assert job["report"]["lists"] == {"contact": 7, "early_help": 4}
    values = [v for v in await client.values(job["id"]) if v["org_unit_code"] == "LA"]

    def month(code: str, first: str) -> dict[str, object] | None:
        found = [
            v
            for v in values
            if v["indicator_code"] == code
            and v["period_type"] == "month"
            and v["period_start"] == first
        ]
        assert len(found) <= 1
        return found[0] if found else None

    decided: Counter[date] = Counter()
    on_time: Counter[date] = Counter()
    for _child, contact, decision in CONTACTS:
        made, when = _day(contact), _day(decision)
        assert made is not None
        if when is None:
            continue
        decided[made.replace(day=1)] += 1
        on_time[made.replace(day=1)] += working_days(made, when) <= 1
    assert decided == {date(2017, 5, 1): 1, date(2017, 6, 1): 3, date(2017, 8, 1): 2}
    for first, n in decided.items():
        share = month("CONTACTS_1WD", first.isoformat())
        assert share is not None
        assert (share["numerator"], share["denominator"]) == (on_time[first], n)
        expected = (Decimal(on_time[first]) * 100 / n).quantize(Decimal("0.1"))
        assert Decimal(str(share["value"])) == expected
        count = month("CONTACTS_DECIDED", first.isoformat())
        assert count is not None
        assert count["numerator"] == n
    assert on_time[date(2017, 8, 1)] == 1  # the bank holiday is no working day
    started = Counter(_day(s).replace(day=1) for _, s, _, _ in EARLY_HELP)  # type: ignore[union-attr]
    completed = Counter(_day(c).replace(day=1) for _, _, c, _ in EARLY_HELP if c)  # type: ignore[union-attr]
    for code, counts in (("EH_ASSESSMENTS", started), ("EH_ASSESSMENTS_COMPLETED", completed)):
        for first, n in counts.items():
            found = month(code, first.isoformat())
            assert found is not None
            assert found["numerator"] == n, (code, first)
    assert month("EH_ASSESSMENTS_COMPLETED", "2017-05-01") is None  # none completed in May


async def test_no_decision_column_no_front_door_values(client: ImportsApi) -> None:
    headers = ["Child Unique ID", "Date of Contact", "Contact Source"]
    rows = [dict(zip(headers, (c, d, "6"), strict=True)) for c, d, _ in CONTACTS]
    response = await client.upload("annex_a", [("contacts.csv", csv_bytes(rows, headers))])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    codes = {v["indicator_code"] for v in await client.values(job["id"])}
    assert "CONTACTS" in codes
    assert not codes & {"CONTACTS_DECIDED", "CONTACTS_1WD", "EH_ASSESSMENTS"}
