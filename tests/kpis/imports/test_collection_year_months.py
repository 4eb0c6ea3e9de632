"""Issue 14, item 2: an Annex A import computes every month of its collection year.

The exports are written here with known counts per month; the expected figures are worked
out in the test from the rows written (plain Python), never by the code under test.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from tests.kpis.imports.conftest import ImportsApi
from tests.kpis.imports.helpers import csv_bytes

CONTACT_HEADERS = ["Child Unique ID", "Date of Contact", "Allocated Team"]
S47_HEADERS = [
    "Child Unique ID",
    "Strategy discussion initiating Section 47 Enquiry Start Date",
    "Date of Initial Child Protection Conference",
]
YEAR_MONTHS = [date(2017 + (m >= 9), (m + 3) % 12 + 1, 1) for m in range(12)]  # Apr..Mar


def _contacts(months: dict[date, int]) -> list[dict[str, Any]]:
    rows = []
    for month, count in months.items():
        for n in range(count):
            rows.append(
                {
                    "Child Unique ID": f"K{month:%Y%m}{n:03d}",
                    "Date of Contact": date(month.year, month.month, 1 + n % 27).strftime(
                        "%d/%m/%Y"
                    ),
                    "Allocated Team": "Front Door",
                }
            )
    return rows


def _by_key(values: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (v["indicator_code"], v["period_type"], v["period_end"]): v
        for v in values
        if v["org_unit_code"] == "LA"
    }


async def _run(client: ImportsApi, files: list[tuple[str, bytes]], **form: Any) -> dict[str, Any]:
    response = await client.upload("annex_a", files, **form)
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    return job


async def test_every_month_of_april_to_march_is_counted_and_the_rest_reported(
    client: ImportsApi,
) -> None:
    # 1 contact in April 2017, 2 in May … 12 in March 2018; and 5 in March 2017 (before
    # the collection year) and 4 + 3 in May and June 2018 (after it): the export's latest
    # event is in June 2018, so a twelve-month window back from it would lose April–June 2017
    in_year = {month: index + 1 for index, month in enumerate(YEAR_MONTHS)}
    before = {date(2017, 3, 1): 5}
    after = {date(2018, 5, 1): 4, date(2018, 6, 1): 3}
    rows = _contacts(before | in_year | after)
    job = await _run(
        client, [("contacts.csv", csv_bytes(rows, CONTACT_HEADERS))], collection_year=2017
    )

    # the expected figures, from the rows written
    per_month = Counter(
        date(int(r["Date of Contact"][6:]), int(r["Date of Contact"][3:5]), 1) for r in rows
    )
    assert job["report"]["period"] == {"first_month": "2017-04-01", "last_month": "2018-03-01"}
    values = _by_key(await client.values(job["id"]))
    running = 0
    for month in YEAR_MONTHS:
        end = (date(month.year + month.month // 12, month.month % 12 + 1, 1)).toordinal() - 1
        end_text = date.fromordinal(end).isoformat()
        running += per_month[month]
        assert values[("CONTACTS", "month", end_text)]["numerator"] == per_month[month]
        ytd = values[("CONTACTS", "ytd", end_text)]
        assert ytd["numerator"] == running
        assert ytd["period_start"] == "2017-04-01"
    assert running == sum(range(1, 13)) == 78
    # April–June 2017 are there (the 63 contacts were such months)
    assert values[("CONTACTS", "month", "2017-06-30")]["numerator"] == 3
    # nothing outside the year is counted anywhere
    assert not [v for v in values if v[2] < "2017-04-01" or v[2] > "2018-03-31"]
    # ... but reported: how many, per list, and why
    outside = job["report"]["outside_year"]
    assert {(o["list"], o["reason"].split(" (")[0], o["count"]) for o in outside} == {
        ("contacts", "before the collection year", sum(before.values())),
        ("contacts", "after the collection year", sum(after.values())),
    }
    warned = [w for w in job["report"]["warnings"] if w["sheet"] == "contacts"]
    assert len(warned) == 2


async def test_an_icpc_after_the_last_strategy_discussion_is_kept(client: ImportsApi) -> None:
    # contacts to February 2018; strategy discussions 10/05/2017 and 26/02/2018; the second
    # ICPC on 14/03/2018 is the export's latest date (12 working days after its s47:
    # 27, 28 Feb, 1, 2, 5–9, 12–14 March; no bank holiday)
    contacts = _contacts({month: 1 for month in YEAR_MONTHS[:11]})
    s47 = [
        {S47_HEADERS[0]: "S1", S47_HEADERS[1]: "10/05/2017", S47_HEADERS[2]: "25/05/2017"},
        {S47_HEADERS[0]: "S2", S47_HEADERS[1]: "26/02/2018", S47_HEADERS[2]: "14/03/2018"},
    ]
    files = [
        ("contacts.csv", csv_bytes(contacts, CONTACT_HEADERS)),
        ("s47.csv", csv_bytes(s47, S47_HEADERS)),
    ]
    job = await _run(client, files, collection_year=2017)
    values = _by_key(await client.values(job["id"]))
    assert values[("ICPCS", "month", "2018-03-31")]["numerator"] == 1
    assert values[("ICPC_15WD", "month", "2018-03-31")]["numerator"] == 1
    ytd = values[("ICPC_15WD", "ytd", "2018-03-31")]
    assert (ytd["numerator"], ytd["denominator"]) == (2, 2)
    assert job["report"]["period"]["last_month"] == "2018-03-01"
    assert job["report"]["outside_year"] == []
