"""A CSV submission with a field over 131,072 characters is a 422, not a 500 (issue 15)."""

from __future__ import annotations

import csv

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.kpis.conftest import CCG_CLIENT, as_

HEADER = "indicator,period,org_unit,numerator,denominator,comment\n"
LIMIT = 131_072  # the csv module's default field size limit


async def test_an_oversized_csv_field_is_a_422_naming_the_body_and_line(
    client: httpx.AsyncClient, kpis_connection: AsyncConnection
) -> None:
    assert csv.field_size_limit() == LIMIT
    before = await kpis_connection.scalar(text("SELECT count(*) FROM kpis.indicator_value"))
    secret = "Q" * (LIMIT + 1)
    good = "HV_6_8_WEEK,2017/18-Q1,WIRRAL,1,2,fine\n"
    multi = 'HV_6_8_WEEK,2017/18-Q3,WIRRAL,1,2,"two\nlines"\n'
    body = HEADER + good + multi + f'HV_6_8_WEEK,2017/18-Q2,WIRRAL,1,2,"{secret}"\n'
    response = await client.post(
        "/v1/submissions",
        content=body.encode(),
        headers=as_(CCG_CLIENT) | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["in"], error["code"]) == ("body", "body", "csv_field_too_long")
    assert error["line"] == 5  # header 1, rows on 2 and 3-4, the oversized one on 5
    assert secret[:50] not in response.text
    after = await kpis_connection.scalar(text("SELECT count(*) FROM kpis.indicator_value"))
    assert after == before  # nothing written


async def test_a_field_at_the_limit_is_read_and_judged_by_the_rules(
    client: httpx.AsyncClient,
) -> None:
    body = HEADER + f'HV_6_8_WEEK,2017/18-Q1,WIRRAL,1,2,"{"c" * LIMIT}"\n'
    response = await client.post(
        "/v1/submissions",
        content=body.encode(),
        headers=as_(CCG_CLIENT) | {"Content-Type": "text/csv"},
    )
    assert response.status_code == 422, response.text[:300]
    assert any(r.startswith("comment") for r in response.json()["rows"][0]["reasons"])
