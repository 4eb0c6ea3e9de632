"""One source of truth per figure (issue 14 item 5): an Annex A import after an SSDA903
one no longer replaces the children-in-care figure; both figures are kept and the
reconciliation shows each and the difference. Figures counted in the test from the CSVs."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from tests.kpis.imports.conftest import IMPORTER, POLICE, SSDA903, ImportsApi
from tests.kpis.imports.helpers import csv_bytes
from tests.kpis.imports.test_ssda903_sample import _day, children_in_care_on

CONTACTS = ["Child Unique ID", "Date of Contact"]
IN_CARE = [
    "Child Unique ID",
    "Date Started to be Looked After",
    "Date Ceased to be Looked After",
    "Child's Legal Status",
]
#: an Annex A covering April 2017 to March 2018 with three children in care all year
ANNEX_A = [
    (
        "contacts.csv",
        csv_bytes(
            [
                {"Child Unique ID": "A1", "Date of Contact": "03/04/2017"},
                {"Child Unique ID": "A2", "Date of Contact": "05/03/2018"},
            ],
            CONTACTS,
        ),
    ),
    (
        "in_care.csv",
        csv_bytes(
            [
                {
                    "Child Unique ID": f"B{n}",
                    "Date Started to be Looked After": "01/01/2016",
                    "Date Ceased to be Looked After": "",
                    "Child's Legal Status": "C2",
                }
                for n in range(3)
            ],
            IN_CARE,
        ),
    ),
]
APRIL = date(2017, 4, 30)


async def _import(
    client: ImportsApi, kind: str, files: list[tuple[str, bytes]], **form: Any
) -> str:
    response = await client.upload(kind, files, **form)
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:3]
    return str(job["id"])


async def _ssda903(client: ImportsApi) -> str:
    files = [(n, (SSDA903 / n).read_bytes()) for n in ("episodes.csv", "oc3.csv")]
    return await _import(client, "ssda903", files, collection_year=2017)


async def _revisions(client: ImportsApi) -> list[tuple[Any, ...]]:
    rows = await client.connection.exec_driver_sql(
        "SELECT v.revision, v.is_current, v.numerator, v.source_kind, v.import_id "
        "FROM kpis.indicator_value v JOIN kpis.indicator i USING (indicator_id) "
        "JOIN kpis.org_unit o USING (org_unit_id) WHERE i.code = 'CIC' AND o.code = 'WIRRAL' "
        "AND v.period_type = 'month' AND v.period_end = '2017-04-30' ORDER BY v.revision"
    )
    return [tuple(r) for r in rows.all()]


async def _reconciliation(client: ImportsApi, headers: dict[str, str] = IMPORTER) -> Any:
    return await client.http.get(
        "/v1/values/reconciliation",
        params={"indicator": "CIC", "period": "2017-04"},
        headers=headers,
    )


async def test_a_later_annex_a_does_not_replace_the_ssda903_figure(
    client_with_values: ImportsApi,
) -> None:
    client = client_with_values
    expected = children_in_care_on(APRIL)
    assert expected > 100
    ssda903 = await _ssda903(client)
    annex_a = await _import(client, "annex_a", ANNEX_A)
    # the published figure is still the SSDA903's; the Annex A figure is kept beside it
    assert await _revisions(client) == [(1, True, expected, "ssda903", ssda903)]
    kept = await client.scalar(
        "SELECT numerator FROM kpis.source_figure f JOIN kpis.indicator i USING (indicator_id) "
        "WHERE i.code = 'CIC' AND f.period_end = '2017-04-30' AND f.source_kind = 'annex_a' "
        "AND f.import_id = :id AND NOT f.made_current",
        id=annex_a,
    )
    assert kept == 3
    values = await client.http.get(
        "/v1/values",
        params={"indicator": "CIC", "period": "2017-04", "org_unit": "WIRRAL"},
        headers=IMPORTER,
    )
    [current] = values.json()["items"]
    assert (current["numerator"], current["source_kind"]) == (expected, "ssda903")
    # the Annex A's own measures are current from it
    contacts = await client.scalar(
        "SELECT v.source_kind FROM kpis.indicator_value v JOIN kpis.indicator i "
        "USING (indicator_id) WHERE i.code = 'CONTACTS' AND v.is_current LIMIT 1"
    )
    assert contacts == "annex_a"
    r = await _reconciliation(client)
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    assert (item["period"], item["authoritative_source"], item["published_source"]) == (
        "2017-04",
        "ssda903",
        "ssda903",
    )
    figures = {f["source"]: f for f in item["figures"]}
    assert {s: (f["numerator"], f["authoritative"]) for s, f in figures.items()} == {
        "ssda903": (expected, True),
        "annex_a": (3, False),
    }
    assert figures["annex_a"]["import_id"] == annex_a
    assert item["differs"] is True
    assert item["difference"] == f"{expected - 3}.0000"
    assert figures["annex_a"]["difference_from_authoritative"] == f"{3 - expected}.0000"


async def test_the_authoritative_source_replaces_an_earlier_other_source(
    client_with_values: ImportsApi,
) -> None:
    client = client_with_values
    expected = children_in_care_on(APRIL)
    annex_a = await _import(client, "annex_a", ANNEX_A)
    assert await _revisions(client) == [(1, True, 3, "annex_a", annex_a)]
    ssda903 = await _ssda903(client)
    assert await _revisions(client) == [
        (1, False, 3, "annex_a", annex_a),
        (2, True, expected, "ssda903", ssda903),
    ]
    [item] = (await _reconciliation(client)).json()["items"]
    assert {f["source"]: f["numerator"] for f in item["figures"]} == {
        "annex_a": 3,
        "ssda903": expected,
    }


async def test_the_reconciliation_needs_the_rights_of_unpublished_reads(
    client_with_values: ImportsApi,
) -> None:
    client = client_with_values
    await _ssda903(client)
    await _import(client, "annex_a", ANNEX_A)
    r = await _reconciliation(client, POLICE)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


def children_in_care_with_short_breaks_on(day: date) -> int:
    """Plain Python over the CSV, V3/V4 short breaks included."""
    children = set()
    with (SSDA903 / "episodes.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            start, end = _day(row["DECOM"]), _day(row["DEC"])
            if start is not None and start <= day and (end is None or end > day):
                children.add(row["CHILD"])
    return len(children)


async def test_children_in_care_with_short_breaks_is_its_own_indicator(
    client_with_values: ImportsApi,
) -> None:
    client = client_with_values
    await _ssda903(client)
    day = date(2018, 3, 31)
    got = {}
    for code in ("CIC", "CIC_INCL_SHORT_BREAKS"):
        got[code] = await client.scalar(
            "SELECT v.numerator FROM kpis.indicator_value v JOIN kpis.indicator i "
            "USING (indicator_id) JOIN kpis.org_unit o USING (org_unit_id) "
            "WHERE i.code = :code AND o.code = 'WIRRAL' AND v.is_current "
            "AND v.period_type = 'month' AND v.period_end = :day",
            code=code,
            day=day,
        )
    assert got == {
        "CIC": children_in_care_on(day),
        "CIC_INCL_SHORT_BREAKS": children_in_care_with_short_breaks_on(day),
    }
    assert got["CIC_INCL_SHORT_BREAKS"] > got["CIC"]
