"""CIN census code lists per collection year (issue 17, item 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.kpis.imports import cin_specs as cs
from services.kpis.imports.cin_generator import Assessment, Child, Details, census_bytes
from tests.kpis.imports.conftest import ImportsApi


def test_abuse_factors_split_in_2018() -> None:
    assert {"18A", "19A"} <= cs.codes_for(2017).factors
    assert not {"18B", "18C", "19B", "19C"} & cs.codes_for(2017).factors
    assert {"18B", "18C", "19B", "19C", "23A"} <= cs.codes_for(2018).factors
    assert not {"18A", "19A"} & cs.codes_for(2023).factors


def test_later_years_use_the_specifications_lists() -> None:
    assert cs.codes_for(2030).factors == cs.codes_for(cs.SPEC_YEAR).factors
    assert "22A" not in cs.codes_for(2015).factors
    assert "24A" in cs.codes_for(2023).factors
    assert "24A" not in cs.codes_for(2020).factors


def _census(year: int, factor: str) -> bytes:
    start = date(year, 6, 1)
    child = Child(
        "F1", [Details(start, assessments=[Assessment(start, date(year, 7, 1), (factor,))])]
    )
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
