"""CIN census code lists per collection year (issue 17, item 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.kpis.imports import cin_specs as cs
from services.kpis.imports.cin_generator import Assessment, Child, Details, census_bytes
from tests.kpis.imports.conftest import ImportsApi

# Years below: the CIN census XML schemas per census year (Social Finance's transcription of
# the DfE schemas, liia-tools ``CIN_schema_<year the census ends>.xsd``), see ``cin_specs``.


def test_abuse_factors_split_in_2020() -> None:
    # corrected: the 2018/19 and 2019/20 schemas still have 18A/19A (was: split in 2018/19)
    for year in (2017, 2018, 2019):
        assert {"18A", "19A"} <= cs.codes_for(year).factors
        assert not {"18B", "18C", "19B", "19C"} & cs.codes_for(year).factors
    for year in (2020, 2023):
        assert {"18B", "18C", "19B", "19C"} <= cs.codes_for(year).factors
        assert not {"18A", "19A"} & cs.codes_for(year).factors


def test_fgm_and_faith_or_belief_factors_from_2015() -> None:
    # corrected: 23A is abuse linked to faith or belief, in the same schemas as 22A (FGM)
    # and beside 18A/19A (was: 23A only from 2018/19, 22A only from 2016/17)
    assert not {"22A", "23A"} & cs.codes_for(2014).factors
    for year in (2015, 2016, 2017, 2019, 2023):
        assert {"22A", "23A"} <= cs.codes_for(year).factors


def test_closure_reason_rc9_from_2022() -> None:
    # corrected: RC9 (closed after assessment, referred to early help) is only in the
    # 2022/23 schema and later (was: every year)
    eight = {f"RC{n}" for n in range(1, 9)}
    for year in (2013, 2017, 2021):
        assert cs.codes_for(year).closure_reasons == eight
    for year in (2022, 2023, 2030):
        assert cs.codes_for(year).closure_reasons == eight | {"RC9"}


def test_later_years_use_the_specifications_lists() -> None:
    assert cs.codes_for(2030).factors == cs.codes_for(cs.SPEC_YEAR).factors
    assert "22A" not in cs.codes_for(2014).factors
    assert "24A" in cs.codes_for(2023).factors
    assert "24A" not in cs.codes_for(2020).factors


def _census(year: int, factor: str) -> bytes:
    start = date(year, 6, 1)
    child = Child(
        "F1", [Details(start, assessments=[Assessment(start, date(year, 7, 1), (factor,))])]
    )
    return census_bytes(year, [child])


def _closed(year: int, reason: str) -> bytes:
    start = date(year, 6, 1)
    child = Child("F1", [Details(start, nfa=True, closure=date(year, 6, 2), reason=reason)])
    return census_bytes(year, [child])


async def _job(client: ImportsApi, body: bytes) -> dict[str, Any]:
    response = await client.upload("cin_census", [("census.xml", body)])
    assert response.status_code == 202, response.text
    return await client.job(response.json()["id"])


async def test_a_code_is_checked_against_the_files_own_year(client: ImportsApi) -> None:
    old = await _job(client, _census(2017, "18A"))
    assert old["status"] == "succeeded", old["report"]["errors"]
    assert old["collection_year"] == 2017
    new = await _job(client, _census(2023, "18A"))
    assert new["status"] == "rejected"
    assert [(e["row"], e["column"], e["reason"]) for e in new["report"]["errors"]] == [
        (
            1,
            "CINdetails[1]/Assessments[1]/AssessmentFactors[1]",
            "unknown code for assessment factor (2023/24)",
        )
    ]
    split = await _job(client, _census(2023, "18B"))
    assert split["status"] == "succeeded"
    assert (await _job(client, _census(2017, "18B")))["status"] == "rejected"


async def test_a_closure_reason_is_checked_against_the_files_own_year(
    client: ImportsApi,
) -> None:
    old = await _job(client, _closed(2021, "RC9"))
    assert old["status"] == "rejected"
    assert [(e["row"], e["column"], e["reason"]) for e in old["report"]["errors"]] == [
        (1, "CINdetails[1]/ReasonForClosure", "unknown code for closure reason (2021/22)")
    ]
    assert (await _job(client, _closed(2022, "RC9")))["status"] == "succeeded"
    assert (await _job(client, _closed(2021, "RC8")))["status"] == "succeeded"
