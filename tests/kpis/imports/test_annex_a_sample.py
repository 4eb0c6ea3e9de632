"""The sample Annex A workbook: zero unknown codes, indicators worked out by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from services.kpis.contract import ComputedValue
from services.kpis.imports import intake
from services.kpis.imports.compute import NOT_CATALOGUED
from services.kpis.imports.pseudonymise import Pseudonymiser
from shared.problems import InvalidInput
from tests.kpis.imports.conftest import ANNEX_A, TEST_KEY, ImportsApi


def _pick(
    values: list[dict[str, Any]], code: str, ptype: str, month: str, org: str
) -> dict[str, Any]:
    """The value of ``code`` for the month (``ytd``: the year to the end of that month)."""
    found = [
        v
        for v in values
        if v["indicator_code"] == code
        and v["period_type"] == ptype
        and v["period_end"][:7] == month[:7]
        and v["org_unit_code"] == org
    ]
    assert len(found) == 1, (code, ptype, month, org, found)
    return found[0]


async def test_sample_workbook_imports_without_errors(client: ImportsApi) -> None:
    response = await client.upload(
        "annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())], population=60000
    )
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    assert job["report"]["error_count"] == 0
    unknown = [w for w in job["report"]["warnings"] if "unknown code" in w["reason"]]
    assert unknown == []
    assert job["report"]["lists"] == {
        "contact": 5,
        "referral": 6,
        "assessment": 5,
        "s47": 5,
        "cin_episode": 5,
        "cp_plan": 7,
        "cla_episode": 5,
        "care_leaver": 6,
        "early_help": 5,
    }
    ignored = {w["sheet"] for w in job["report"]["warnings"] if "ignored" in w["reason"]}
    assert ignored == {"List 10", "List 11"}


PSEUDO = Pseudonymiser(TEST_KEY.encode())


async def test_sample_indicators_match_the_hand_count(client: ImportsApi) -> None:
    response = await client.upload(
        "annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())], population=60000
    )
    job_id = response.json()["id"]
    job = await client.job(job_id)
    # no collection_year given: the one of the latest event (2020/21), from April on
    assert job["report"]["period"] == {"first_month": "2020-04-01", "last_month": "2021-02-01"}
    values = await client.values(job_id)

    def val(code: str, start: str, org: str = "LA", ptype: str = "month") -> tuple[Any, ...]:
        v = _pick(values, code, ptype, start, org)
        return (
            Decimal(v["value"]) if v["value"] is not None else None,
            v["numerator"],
            v["denominator"],
        )

    sep = "2020-09-01"
    # List 1: five contacts, all on 16/09/2020
    assert val("CONTACTS", sep) == (5, 5, None)
    # List 3: six referrals on 16/09/2020; "Number of referrals in last 12 months" 2, 1 and 2:
    # three re-referrals
    assert val("REFERRALS", sep) == (6, 6, None)
    assert val("RE_REFERRALS", sep) == (Decimal("50.0"), 3, 6)
    assert val("REFERRALS_NFA", sep) == (Decimal("0.0"), 0, 6)
    assert val("REFERRAL_RATE", sep) == (Decimal("1.0"), 6, 60000)
    # by team: Locality 4 Duty Team has four referrals, two with earlier ones
    assert val("RE_REFERRALS", sep, "LOCALITY-4-DUTY-TEAM") == (Decimal("50.0"), 2, 4)
    # by worker: the same four are Mathilde Cutsforth's (non-breaking space in the export)
    assert val("REFERRALS", sep, PSEUDO.staff("Mathilde Cutsforth")) == (4, 4, None)
    # List 4: assessments authorised 11/11/2020, 19/01/2021, 02/02 (x2) and 08/02/2021, all
    # started in 2019/20: none within 45 working days
    assert val("ASSESSMENTS", "2021-02-01") == (3, 3, None)
    assert val("ASSESS_45WD", "2021-02-01") == (Decimal("0.0"), 0, 3)
    assert val("ASSESSMENTS", "2021-02-01", ptype="ytd")[0] == 5
    # List 5: five s47s from 16/09/2020; ICPCs 05/10 (13 wd), 05/10 (13 wd), 01/10 (11 wd)
    assert val("S47_ENQUIRIES", sep) == (5, 5, None)
    assert val("ICPCS", "2020-10-01") == (3, 3, None)
    assert val("ICPC_15WD", "2020-10-01") == (Decimal("100.0"), 3, 3)
    # List 7: plans started 08/02/2021 (x2, each with one previous plan); 2020/21 to date
    # also 27/04/2020 (x2) and 23/11/2020, first plans: 2 of 5
    assert val("CP_PLANS_STARTED", "2021-02-01") == (2, 2, None)
    assert val("CP_SECOND", "2021-02-01") == (Decimal("100.0"), 2, 2)
    assert val("CP_SECOND", "2021-02-01", ptype="ytd") == (Decimal("40.0"), 2, 5)
    # List 6: five open CIN episodes
    assert val("CIN", "2021-02-01") == (5, 5, None)
    # List 8: five children in care; one ceased 22/09/2020
    assert val("CIC", "2020-08-01") == (5, 5, None)
    assert val("CIC", "2020-09-01") == (4, 4, None)
    assert val("CIC_RATE", "2020-09-01") == (Decimal("0.7"), 4, 60000)
    # List 9: six care leavers, all in touch; five suitable (one blank); activity F1, F2,
    # F3, F3 in EET (2020/21 codes), G5 and a blank not
    ref = "2021-02-01"
    assert val("CL_IN_TOUCH", ref) == (Decimal("100.0"), 6, 6)
    assert val("CL_ACCOMMODATION", ref) == (Decimal("83.3"), 5, 6)
    assert val("CL_EET", ref) == (Decimal("66.7"), 4, 6)
    assert val("CL_EET", ref, "CARE-LEAVERS-TEAM") == (Decimal("66.7"), 4, 6)


async def test_values_are_handed_to_the_values_domain(
    client: ImportsApi, recorded: list[dict[str, Any]]
) -> None:
    response = await client.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job_id = response.json()["id"]
    job = await client.job(job_id)
    assert len(recorded) == 1
    call = recorded[0]
    assert str(call["import_id"]) == job_id
    assert call["actor"].agency == "council"
    assert job["report"]["values_recorded"] == len(call["values"])
    assert all(isinstance(v, ComputedValue) for v in call["values"])
    # measures the catalogue lacks are kept with the import, not handed over
    handed = {v.indicator_code for v in call["values"]}
    stored = {v["indicator_code"] for v in await client.values(job_id)}
    assert stored - handed == set(NOT_CATALOGUED)
    assert len(call["values"]) == job["values_count"]  # every computed code is catalogued
    # no population given: no rates
    assert not [v for v in call["values"] if v.indicator_code.endswith("_RATE")]


async def test_values_refused_by_the_values_domain_reject_the_import(
    client: ImportsApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(session: Any, *, values: Any, import_id: str, actor: Any) -> int:
        raise InvalidInput(
            "computed values break the value rules",
            extensions={"errors": [{"index": 0, "field": "indicator_code", "message": "unknown"}]},
        )

    monkeypatch.setattr(intake, "RECORDER", refuse)
    response = await client.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job = await client.job(response.json()["id"])
    assert job["status"] == "rejected"
    reasons = [e["reason"] for e in job["report"]["errors"]]
    assert reasons[0].startswith("the KPI values refused the import")
    assert reasons[1].endswith("indicator_code unknown")
    assert await client.scalar("SELECT count(*) FROM kpis.cm_referral") == 0
    assert await client.scalar("SELECT count(*) FROM kpis.import_value") == 0
