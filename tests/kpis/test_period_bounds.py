"""Periods outside the calendar's range are 422s naming ``period``, never 500s (issue 15).

``0000-05`` (year 0) and ``9999/00`` (a financial year ending in year 10000) matched the
pattern and overflowed ``datetime.date``: six endpoints answered 500. Every endpoint that
takes a period is exercised here.
"""

from __future__ import annotations

import httpx
import pytest

from tests.kpis.conftest import CCG_CLIENT, COUNCIL_MANAGER, as_

BAD = ["0000-05", "0000/01", "0000/01-Q2", "9999/00", "9999/00-Q4", "9999/00-YTD-02", "9999-12"]
IND = "HV_6_8_WEEK"


def _names_period(response: httpx.Response, where: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [(e["field"], e["in"]) for e in errors] == [("period", where)]


@pytest.mark.parametrize("period", BAD)
async def test_reads_taking_a_period_answer_422(client: httpx.AsyncClient, period: str) -> None:
    who = as_(COUNCIL_MANAGER)
    reads = [
        ("/v1/values", {"period": period}),
        ("/v1/values/export.csv", {"period": period}),
        ("/v1/values/periods", {"indicator": IND, "period": period}),
        ("/v1/dashboard/drill-down", {"indicator": IND, "period": period}),
    ]
    for path, params in reads:
        response = await client.get(path, params=params, headers=who)
        _names_period(response, "query")
        assert period not in response.text


@pytest.mark.parametrize("period", BAD)
async def test_transition_with_such_a_period_answers_422(
    client: httpx.AsyncClient, period: str
) -> None:
    body = {"indicator": IND, "period": period, "action": "submit"}
    response = await client.post(
        "/v1/values/transitions", json=body, headers=as_(COUNCIL_MANAGER) | {"If-Match": '"x"'}
    )
    _names_period(response, "body")


@pytest.mark.parametrize("period", BAD)
async def test_submission_rows_with_such_a_period_are_rejected_by_name(
    client: httpx.AsyncClient, period: str
) -> None:
    row = {"indicator": IND, "period": period, "org_unit": "WIRRAL"}
    as_json = await client.post(
        "/v1/submissions",
        json={"rows": [row | {"numerator": 1, "denominator": 2}]},
        headers=as_(CCG_CLIENT),
    )
    csv_body = f"indicator,period,org_unit,numerator,denominator\n{IND},{period},WIRRAL,1,2\n"
    as_csv = await client.post(
        "/v1/submissions",
        content=csv_body.encode(),
        headers=as_(CCG_CLIENT) | {"Content-Type": "text/csv"},
    )
    for response in (as_json, as_csv):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        reasons = response.json()["rows"][0]["reasons"]
        assert any(r.startswith("period:") for r in reasons), reasons
