"""Malformed files get a precise report and store nothing; partial imports on request."""

from __future__ import annotations

from typing import Any

from tests.kpis.imports.conftest import ImportsApi
from tests.kpis.imports.helpers import REFERRAL_HEADERS, csv_bytes, referral_rows, xlsx_bytes

CHILD_TABLES = (
    "cm_contact",
    "cm_referral",
    "cm_assessment",
    "cm_s47",
    "cm_cin_episode",
    "cm_cp_plan",
    "cm_cla_episode",
    "cm_care_leaver",
    "import_value",
)


async def _stored(client: ImportsApi, job_id: str) -> int:
    total = 0
    for table in CHILD_TABLES:
        total += await client.scalar(
            f"SELECT count(*) FROM kpis.{table} WHERE import_id = CAST(:id AS uuid)", id=job_id
        )
    return total


async def _rejected(
    client: ImportsApi, files: list[tuple[str, bytes]], **form: Any
) -> dict[str, Any]:
    response = await client.upload("annex_a", files, **form)
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "rejected", job
    assert job["progress"]["rows_stored"] == 0
    assert await _stored(client, job["id"]) == 0
    return job


def _issues(job: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["sheet"], e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]]


async def test_missing_column(client: ImportsApi) -> None:
    headers = [h for h in REFERRAL_HEADERS if h != "Child Unique ID"]
    job = await _rejected(client, [("referrals.csv", csv_bytes(referral_rows(), headers))])
    assert _issues(job) == [("referrals.csv", 1, "Child Unique ID", "missing column (referrals)")]


async def test_bad_date(client: ImportsApi) -> None:
    rows = referral_rows({}, {"Date of Referral": "31/02/2020"})
    job = await _rejected(client, [("referrals.csv", csv_bytes(rows))])
    assert _issues(job) == [
        (
            "referrals.csv",
            3,
            "Date of Referral",
            "not a date (expected dd/mm/yyyy, yyyy-mm-dd or an Excel date)",
        )
    ]


async def test_unknown_code_is_a_warning_and_the_row_is_kept(client: ImportsApi) -> None:
    """Issue 14 item 4: an unknown code no longer rejects the import; the row is kept with
    the field "not known" (the referral still counts)."""
    rows = referral_rows({}, {}, {"Referral Source": "z) 99: Carrier pigeon"})
    response = await client.upload("annex_a", [("referrals.csv", csv_bytes(rows))])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    assert job["report"]["errors"] == []
    warnings = [(w["sheet"], w["row"], w["column"], w["reason"]) for w in job["report"]["warnings"]]
    assert warnings == [
        (
            "referrals.csv",
            4,
            "Referral Source",
            "unknown code '99' for contact or referral source: kept as not known",
        )
    ]
    assert job["report"]["lists"] == {"referral": 3}
    sources = await client.scalar(
        "SELECT array_agg(source ORDER BY source NULLS LAST) FROM kpis.cm_referral"
    )
    assert sources == ["6", "6", None]


async def test_duplicate_row(client: ImportsApi) -> None:
    rows = referral_rows()
    rows.append(dict(rows[1]))
    job = await _rejected(client, [("referrals.csv", csv_bytes(rows))])
    assert _issues(job) == [("referrals.csv", 5, None, "duplicate of an earlier row")]


def _with_a_late_duplicate() -> bytes:
    """1,500 referrals and a repeat of the first one at the end: blocks apart (64 KB)."""
    rows = referral_rows(
        *(
            {"Child Unique ID": f"C{n}", "Date of Referral": f"{1 + n % 28:02d}/10/2020"}
            for n in range(1500)
        ),
        count=1500,
    )
    rows.append(dict(rows[1]))
    body = csv_bytes(rows)
    assert len(body) > 64 * 1024
    return body


async def test_duplicate_row_in_a_later_block(client: ImportsApi) -> None:
    """Duplicates are found across the blocks a large CSV is read in (64 KB here)."""
    body = _with_a_late_duplicate()
    job = await _rejected(client, [("referrals.csv", body)])
    assert _issues(job) == [("referrals.csv", 1502, None, "duplicate of an earlier row")]


async def test_partial_import_leaves_out_a_duplicate_in_a_later_block(client: ImportsApi) -> None:
    """A repeat of a row of an earlier block is found once the list is read, after its
    block was copied: a partial import loads the list again without it (nothing of the
    first load is kept) and reports it once."""
    body = _with_a_late_duplicate()
    response = await client.upload("annex_a", [("referrals.csv", body)], partial=True)
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job
    assert _issues(job) == [("referrals.csv", 1502, None, "duplicate of an earlier row")]
    assert job["report"]["lists"] == {"referral": 1500}
    assert (job["progress"]["rows_read"], job["progress"]["rows_stored"]) == (1501, 1500)
    stored = await client.scalar(
        "SELECT count(*) FROM kpis.cm_referral WHERE import_id = CAST(:id AS uuid)", id=job["id"]
    )
    distinct = await client.scalar(
        "SELECT count(DISTINCT child) FROM kpis.cm_referral WHERE import_id = CAST(:id AS uuid)",
        id=job["id"],
    )
    assert (stored, distinct) == (1500, 1500)


async def test_empty_sheet(client: ImportsApi) -> None:
    good = [REFERRAL_HEADERS, *[list(r.values()) for r in referral_rows()]]
    workbook = xlsx_bytes({"List 3": good, "List 4": []})
    job = await _rejected(client, [("annex.xlsx", workbook)])
    assert _issues(job) == [("List 4", None, None, "the sheet is empty (no header row)")]


async def test_not_a_spreadsheet(client: ImportsApi) -> None:
    job = await _rejected(client, [("annex.xlsx", b"%PDF-1.7\n\x00\x01\x02binary")])
    assert _issues(job) == [
        ("annex.xlsx", None, None, "not a spreadsheet or CSV file (binary content)")
    ]


async def test_a_zip_that_is_not_a_workbook(client: ImportsApi) -> None:
    job = await _rejected(client, [("annex.xlsx", b"PK\x03\x04 not really a zip")])
    assert _issues(job) == [("annex.xlsx", None, None, "not a readable xlsx workbook")]


async def test_empty_file(client: ImportsApi) -> None:
    job = await _rejected(client, [("referrals.csv", b"")])
    assert _issues(job) == [("referrals.csv", None, None, "the file is empty")]


async def test_nothing_usable(client: ImportsApi) -> None:
    job = await _rejected(client, [("other.csv", b"a,b\n1,2\n")])
    assert _issues(job) == [("(import)", None, None, "no list the indicators use was found")]


async def test_partial_import_keeps_the_good_rows(client: ImportsApi) -> None:
    rows = referral_rows({}, {"Date of Referral": "not a date"}, count=4)
    response = await client.upload("annex_a", [("referrals.csv", csv_bytes(rows))], partial=True)
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded"
    assert job["report"]["error_count"] == 1
    assert job["report"]["errors"][0]["row"] == 3
    assert job["report"]["lists"] == {"referral": 3}
    stored = await client.scalar(
        "SELECT count(*) FROM kpis.cm_referral WHERE import_id = CAST(:id AS uuid)", id=job["id"]
    )
    assert stored == 3


async def test_structural_errors_reject_even_a_partial_import(client: ImportsApi) -> None:
    headers = [h for h in REFERRAL_HEADERS if h != "Child Unique ID"]
    await _rejected(client, [("referrals.csv", csv_bytes(referral_rows(), headers))], partial=True)


async def test_header_text_is_forgiven(client: ImportsApi) -> None:
    headers = [
        "  CHILD\xa0unique ID ",
        "Gender",
        "date of referral:",
        "REFERRAL SOURCE",
        "Referral  NFA",
        "Number of referrals in last 12 months",
        "Allocated team",
        "Allocated worker",
    ]
    rows = [
        dict(zip(headers, r.values(), strict=True))
        for r in referral_rows(
            {"Date of Referral": "44105"},  # Excel serial: 1 October 2020
            {"Date of Referral": "2020-10-02"},
            {"Date of Referral": "#N/A"},
        )
    ]
    response = await client.upload("annex_a", [("r.csv", csv_bytes(rows, headers))], partial=True)
    job = await client.job(response.json()["id"])
    assert [(e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]] == [
        (4, "date of referral:", "missing value")
    ]
    dates = await client.scalar(
        "SELECT string_agg(referral_date::text, ',' ORDER BY referral_date) "
        "FROM kpis.cm_referral WHERE import_id = CAST(:id AS uuid)",
        id=job["id"],
    )
    assert dates == "2020-10-01,2020-10-02"


async def test_issues_are_listed_in_file_order_whatever_the_load_order(client: ImportsApi) -> None:
    """Referrals are loaded after the other lists (their first pass runs meanwhile): the
    report still lists the referrals' issues first when their file comes first."""
    referrals = referral_rows({}, {"Date of Referral": "31/02/2020"})
    headers = ["Child Unique ID", "Continuous Assessment Start Date", "Allocated Team"]
    assessments = [
        {"Child Unique ID": "C100", "Continuous Assessment Start Date": "not a date"},
        {"Child Unique ID": "C101", "Continuous Assessment Start Date": "02/10/2020"},
    ]
    job = await _rejected(
        client,
        [
            ("referrals.csv", csv_bytes(referrals)),
            ("assessments.csv", csv_bytes(assessments, headers)),
        ],
    )
    assert [(e["sheet"], e["row"]) for e in job["report"]["errors"]] == [
        ("referrals.csv", 3),
        ("assessments.csv", 2),
    ]


async def test_a_list_without_its_optional_event_date_imports(client: ImportsApi) -> None:
    """Assessments count in the month of their authorisation, an optional column: a list
    without it is stored (and counts in no month), not failed."""
    headers = ["Child Unique ID", "Continuous Assessment Start Date"]
    rows = [{"Child Unique ID": "C100", "Continuous Assessment Start Date": "01/10/2020"}]
    response = await client.upload("annex_a", [("assessments.csv", csv_bytes(rows, headers))])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    assert job["report"]["lists"] == {"assessment": 1}
