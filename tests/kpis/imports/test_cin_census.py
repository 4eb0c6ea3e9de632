"""The CIN census import (issue 17, item 1): every measure against a count in plain Python
over the generated children (tests/kpis/imports/cin_expected.py), the working-day
boundaries across bank holidays, referrals across the year boundary, malformed files."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from services.kpis.imports.cin_generator import (
    Assessment,
    Child,
    Details,
    Plan,
    Section47,
    census_bytes,
    children,
)
from services.kpis.imports.pseudonymise import Pseudonymiser
from tests.kpis.imports.cin_expected import expected, working_days
from tests.kpis.imports.conftest import TEST_KEY, ImportsApi

YEAR = 2023  # 2023/24: 1 April 2023 to 31 March 2024
TABLES = (
    "cm_referral",
    "cm_assessment",
    "cm_assessment_factor",
    "cm_s47",
    "cm_cin_episode",
    "cm_cp_plan",
    "import_value",
)
SENTINEL = "SENTINEL-CHILD-7741"


def _boundaries() -> list[Child]:
    """Hand-made children for the edges (dates worked out by hand in the comments)."""
    return [
        # assessment from Friday 22 Dec 2023: 25, 26 Dec and 1 Jan are bank holidays, so
        # Wed 28 Feb 2024 is the 45th working day after it and Thu 29 Feb the 46th
        Child(
            "B45",
            [
                Details(
                    date(2023, 12, 22),
                    assessments=[Assessment(date(2023, 12, 22), date(2024, 2, 28), ("3A",))],
                )
            ],
        ),
        Child(
            "B46",
            [
                Details(
                    date(2023, 12, 22),
                    assessments=[Assessment(date(2023, 12, 22), date(2024, 2, 29), ("3A",))],
                )
            ],
        ),
        # s47 from Mon 3 Apr 2023: Good Friday 7 Apr and Easter Monday 10 Apr 2023 are
        # bank holidays, so Wed 26 Apr is the 15th working day and Thu 27 Apr the 16th
        Child(
            "S15",
            [
                Details(
                    date(2023, 4, 3),
                    section47=[Section47(date(2023, 4, 3), date(2023, 4, 26), False)],
                    plans=[Plan(date(2023, 4, 26), None, "NEG", 1)],
                )
            ],
        ),
        Child(
            "S16",
            [
                Details(
                    date(2023, 4, 3),
                    section47=[Section47(date(2023, 4, 3), date(2023, 4, 27), False)],
                )
            ],
        ),
        # two referrals across the year boundary: the June one is a re-referral, the
        # February one (2022/23) is not counted in 2023/24
        Child(
            "R2",
            [
                Details(date(2023, 2, 15), closure=date(2023, 3, 1), reason="RC1"),
                Details(date(2023, 6, 1)),
            ],
        ),
        # exactly 12 months (2 May 2022 → 2 May 2023): a re-referral; a day more: not
        Child(
            "R12",
            [
                Details(date(2022, 5, 2), closure=date(2022, 6, 1), reason="RC1"),
                Details(date(2023, 5, 2), closure=date(2023, 6, 1), reason="RC1"),
            ],
        ),
        Child(
            "R13",
            [
                Details(date(2022, 5, 1), closure=date(2022, 6, 1), reason="RC1"),
                Details(date(2023, 5, 2), closure=date(2023, 6, 1), reason="RC1"),
            ],
        ),
        # plans of exactly two years and a day short of it; a second plan of a child
        Child(
            "P2Y",
            [
                Details(
                    date(2021, 5, 1),
                    plans=[Plan(date(2021, 6, 1), date(2023, 6, 1)), Plan(date(2023, 9, 1), None)],
                )
            ],
            ("AUT",),
        ),
        Child("P1Y", [Details(date(2021, 5, 1), plans=[Plan(date(2021, 6, 2), date(2023, 6, 1))])]),
        # closed on 31 March: in need during the year, not on 31 March; NFA: neither
        Child(
            "C31", [Details(date(2023, 10, 1), closure=date(2024, 3, 31), reason="RC1")], ("LD",)
        ),
        Child("NFA", [Details(date(2023, 10, 1), nfa=True, closure=date(2023, 10, 1))], ("MOB",)),
    ]


def _latest(values: list[dict[str, Any]], code: str, ptype: str) -> dict[str, Any] | None:
    found = [
        v
        for v in values
        if v["indicator_code"] == code and v["period_type"] == ptype and v["org_unit_code"] == "LA"
    ]
    return max(found, key=lambda v: v["period_end"]) if found else None


async def _import(client: ImportsApi, body: bytes, **form: Any) -> dict[str, Any]:
    response = await client.upload("cin_census", [("census.xml", body)], **form)
    assert response.status_code == 202, response.text
    return await client.job(response.json()["id"])


async def _stored(client: ImportsApi, job_id: str) -> int:
    total = 0
    for table in TABLES:
        total += await client.scalar(
            f"SELECT count(*) FROM kpis.{table} WHERE import_id = CAST(:id AS uuid)", id=job_id
        )
    return total


def test_the_boundaries_are_what_the_comments_say() -> None:
    assert working_days(date(2023, 12, 22), date(2024, 2, 28)) == 45
    assert working_days(date(2023, 12, 22), date(2024, 2, 29)) == 46
    assert working_days(date(2023, 4, 3), date(2023, 4, 26)) == 15
    assert working_days(date(2023, 4, 3), date(2023, 4, 27)) == 16


async def test_every_measure_matches_an_independent_count(client: ImportsApi) -> None:
    kids = [*children(400, YEAR, seed=5), *_boundaries()]
    job = await _import(client, census_bytes(YEAR, kids))
    assert job["status"] == "succeeded", job["report"]["errors"]
    assert job["progress"]["rows_read"] == len(kids)
    assert job["report"]["period"] == {"first_month": "2023-04-01", "last_month": "2024-03-01"}
    values = await client.values(job["id"])
    want = expected(kids, YEAR)
    assert want["ASSESS_45WD"][0] < want["ASSESSMENTS"][0]  # the data has both sides
    assert want["CP_ENDED_2Y"][0] >= 1
    assert want["RE_REFERRALS"][0] >= 3
    for code, (numerator, denominator) in want.items():
        yearly = code.startswith("CIN_")
        found = _latest(values, code, "year" if yearly else "ytd")
        assert found is not None, code
        if yearly:
            assert (found["period_start"], found["period_end"]) == ("2023-04-01", "2024-03-31")
        assert (found["numerator"], found["denominator"] or found["numerator"]) == (
            numerator,
            denominator or numerator,
        ), code
    factor_codes = {v["indicator_code"] for v in values if v["indicator_code"].startswith("CIN_F")}
    assert factor_codes == {c for c in want if c.startswith("CIN_FACTOR_")}


async def test_the_boundary_children_alone(client: ImportsApi) -> None:
    """The edges on their own, with the figures written out by hand."""
    job = await _import(client, census_bytes(YEAR, _boundaries()))
    assert job["status"] == "succeeded", job["report"]["errors"]
    values = await client.values(job["id"])

    def pair(code: str, ptype: str = "ytd") -> tuple[Any, Any]:
        found = _latest(values, code, ptype)
        assert found is not None, code
        return found["numerator"], found["denominator"]

    assert pair("ASSESS_45WD") == (1, 2)  # B45 in time, B46 not
    assert pair("ICPC_15WD") == (1, 2)  # S15 in time, S16 not
    # in the year: B45, B46, S15, S16, R2 (June), R12, R13, C31, NFA; re-referrals: R2, R12
    assert pair("RE_REFERRALS") == (2, 9)
    assert pair("REFERRALS_NFA") == (1, 9)
    assert pair("CP_ENDED_2Y") == (1, 2)  # P2Y's plan, not P1Y's
    assert pair("CP_SECOND") == (2, 2)  # S15 (one previous plan), P2Y's second plan
    # on 31 March: B45, B46, S15, S16, R2, P2Y, P1Y (no closure); C31 closed that day
    assert pair("CIN_31MAR", "year") == (7, None)
    assert pair("CIN_DISABLED", "year") == (1, 7)  # P2Y; C31 and NFA are not counted
    assert pair("CIN_IN_YEAR", "year") == (10, None)  # all but NFA
    assert pair("CIN_FACTOR_3A", "year") == (2, None)


async def test_children_are_pseudonymised_as_in_the_other_imports(client: ImportsApi) -> None:
    kids = [Child(SENTINEL, [Details(date(2023, 6, 1))]), *children(20, YEAR)]
    job = await _import(client, census_bytes(YEAR, kids))
    assert job["status"] == "succeeded"
    pseudonym = Pseudonymiser(TEST_KEY).child(SENTINEL)
    assert (
        await client.scalar(
            "SELECT count(*) FROM kpis.cm_referral WHERE import_id = CAST(:id AS uuid) "
            "AND child = :child",
            id=job["id"],
            child=pseudonym,
        )
        == 1
    )
    for table in TABLES[:-1]:
        assert not await client.scalar(
            f"SELECT count(*) FROM kpis.{table} WHERE child LIKE :s", s=f"%{SENTINEL}%"
        )


def _with_one_bad_child() -> list[Child]:
    kids = list(children(30, YEAR, seed=9))
    bad = Child(
        SENTINEL,
        [
            Details(date(2023, 5, 1), closure=date(2023, 6, 1), reason="RC1"),
            Details(date(2023, 7, 1), assessments=[Assessment(date(2023, 7, 2), date(2023, 7, 1))]),
        ],
    )
    kids.insert(4, bad)  # the fifth child
    return kids


async def test_one_bad_child_rejects_the_file(client: ImportsApi) -> None:
    job = await _import(client, census_bytes(YEAR, _with_one_bad_child()))
    assert job["status"] == "rejected"
    assert job["progress"]["rows_stored"] == 0
    assert await _stored(client, job["id"]) == 0
    assert [(e["sheet"], e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]] == [
        (
            "census.xml",
            5,
            "CINdetails[2]/Assessments[1]/AssessmentAuthorisationDate",
            "before AssessmentActualStartDate",
        )
    ]
    assert SENTINEL not in json.dumps(job)


async def test_partial_keeps_the_other_children(client: ImportsApi) -> None:
    kids = _with_one_bad_child()
    job = await _import(client, census_bytes(YEAR, kids), partial=True)
    assert job["status"] == "succeeded"
    assert job["report"]["error_count"] == 1
    assert SENTINEL not in json.dumps(job)
    good = [k for k in kids if k.id != SENTINEL]
    referrals = sum(len(k.details) for k in good)
    stored = await client.scalar(
        "SELECT count(*) FROM kpis.cm_referral WHERE import_id = CAST(:id AS uuid)", id=job["id"]
    )
    assert stored == referrals
    values = await client.values(job["id"])
    want = expected(good, YEAR)
    found = _latest(values, "REFERRALS", "ytd")
    assert found is not None
    assert found["numerator"] == want["REFERRALS"][0]


async def test_a_repeated_child_is_named_by_position(client: ImportsApi) -> None:
    kids = list(children(6, YEAR))
    kids.append(Child(kids[1].id, [Details(date(2023, 8, 1))]))
    job = await _import(client, census_bytes(YEAR, kids))
    assert job["status"] == "rejected"
    assert [(e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]] == [
        (7, "ChildIdentifiers/LAchildID", "LAchildID repeats the child at position 2")
    ]
    assert kids[1].id not in json.dumps(job)


async def test_malformed_files_store_nothing(client: ImportsApi) -> None:
    whole = census_bytes(YEAR, children(50, YEAR))
    cut = whole[: len(whole) * 2 // 3]
    for body, reason in (
        (cut, "not well-formed XML"),
        (b"LAchildID,CINreferralDate\r\nX1,2023-05-01\r\n", "not well-formed XML"),
        (b"<Message><Children><Child/></Children></Message>", "before the Header"),
    ):
        job = await _import(client, body, partial=True)
        assert job["status"] == "rejected", reason
        assert await _stored(client, job["id"]) == 0
        errors = job["report"]["errors"]
        assert len(errors) == 1, errors
        assert reason in errors[0]["reason"], errors
        assert errors[0]["row"] is None


async def test_the_values_domain_takes_the_figures(client_with_values: ImportsApi) -> None:
    """Through the real values domain and the seed catalogue: every catalogued measure of
    the census is recorded (annual ones as the financial year), the factors stay with the
    import."""
    response = await client_with_values.upload(
        "cin_census", [("census.xml", census_bytes(YEAR, [*children(60, YEAR), *_boundaries()]))]
    )
    job = await client_with_values.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"]
    values = await client_with_values.values(job["id"])
    catalogued = [v for v in values if not v["indicator_code"].startswith("CIN_FACTOR_")]
    assert job["report"]["values_recorded"] == len(catalogued)
    assert {"CIN_31MAR", "CIN_IN_YEAR", "CIN_DISABLED", "CP_PLANS_ENDED", "CP_ENDED_2Y"} <= {
        v["indicator_code"] for v in catalogued
    }


async def test_a_census_of_another_year_than_asked_is_refused(client: ImportsApi) -> None:
    job = await _import(client, census_bytes(YEAR, children(5, YEAR)), collection_year=2022)
    assert job["status"] == "rejected"
    assert "ReferenceDate" in job["report"]["errors"][0]["reason"]


async def test_no_working_file_is_left(client: ImportsApi) -> None:
    """The upload and the per-list and duplicate-check files go when the import ends."""
    kids = _with_one_bad_child()
    for partial in (False, True):
        job = await _import(client, census_bytes(YEAR, kids), partial=partial)
        assert job["status"] in ("rejected", "succeeded")
        left = [p for p in client.settings.upload_dir.rglob("*") if p.is_file()]
        assert left == []


@pytest.mark.parametrize("written", [b"&#178;", b"12345678901"], ids=["superscript", "11-digit"])
async def test_a_number_that_is_no_plan_count_is_an_issue_not_a_crash(
    client: ImportsApi, written: bytes
) -> None:
    """``NumberOfPreviousCPP`` of "²" (a digit to ``str.isdigit``, not to ``int``) used to
    fail the whole job with a ValueError, and one of 11 digits (more than the store's
    32-bit integer) with a ComputeError building the block; each is the child's issue."""
    kid = Child(SENTINEL, [Details(date(2023, 6, 1), plans=[Plan(date(2023, 6, 5), previous=7)])])
    body = census_bytes(YEAR, [*children(3, YEAR), kid])
    assert body.count(b"<NumberOfPreviousCPP>7</NumberOfPreviousCPP>") == 1
    body = body.replace(b">7</NumberOfPreviousCPP>", b">" + written + b"</NumberOfPreviousCPP>")
    job = await _import(client, body)
    assert job["status"] == "rejected"
    where = "CINdetails[1]/ChildProtectionPlans[1]/NumberOfPreviousCPP"
    assert [(e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]] == [
        (4, where, "not a whole number (up to 9 digits)")
    ]
    assert await _stored(client, job["id"]) == 0
