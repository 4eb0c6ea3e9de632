"""Values exported as an XLSX workbook (issue 18 item 7): the figures people open are the
figures recorded, numbers stay numbers, and a text cell never becomes a formula."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import httpx
from openpyxl import load_workbook

from shared.exports import XLSX_TYPE, workbook_bytes
from tests.kpis.conftest import CCG_APPROVER, CCG_CONTRIBUTOR, POLICE_CLIENT, as_
from tests.kpis.helpers import publish, submit
from tests.kpis.test_releases import ROWS


def _sheet(content: bytes) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


async def test_values_export_as_a_workbook_holds_the_recorded_figures(
    client: httpx.AsyncClient,
) -> None:
    await submit(client, CCG_CONTRIBUTOR, ROWS)
    release_id = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]
    params = {"indicator": "HV_6_8_WEEK"}
    r = await client.get(
        "/v1/values/export.csv", params=params | {"format": "xlsx"}, headers=as_(POLICE_CLIENT)
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX_TYPE
    assert 'filename="values.xlsx"' in r.headers["content-disposition"]
    rows = sorted(_sheet(r.content), key=lambda x: str(x["org_unit"]))
    assert [x["org_unit"] for x in rows] == ["WIRRAL", "WIRRAL-CSC"]
    for row, sent in zip(rows, sorted(ROWS, key=lambda x: str(x["org_unit"])), strict=True):
        # independent: the percentage to four places, half up, from what was submitted
        num, den = Decimal(str(sent["numerator"])), Decimal(str(sent["denominator"]))
        expected = (num * 100 / den).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        assert isinstance(row["value"], float | int)
        assert Decimal(str(row["value"])) == expected
        assert row["numerator"] == sent["numerator"]
        assert row["denominator"] == sent["denominator"]
        assert row["release_id"] == release_id
        assert row["state"] == "approved"
        assert row["period"] == "2017/18-Q1"

    # the same rows as the CSV export, and the Accept header chooses the workbook too
    as_csv = await client.get("/v1/values/export.csv", params=params, headers=as_(POLICE_CLIENT))
    from_csv = sorted(csv.DictReader(io.StringIO(as_csv.text)), key=lambda x: x["org_unit"])
    assert [x["org_unit"] for x in from_csv] == [x["org_unit"] for x in rows]
    assert [Decimal(x["value"]) for x in from_csv] == [Decimal(str(x["value"])) for x in rows]
    accepted = await client.get(
        "/v1/values/export.csv", params=params, headers=as_(POLICE_CLIENT) | {"Accept": XLSX_TYPE}
    )
    assert accepted.headers["content-type"] == XLSX_TYPE
    assert len(_sheet(accepted.content)) == 2


async def test_an_unknown_export_format_is_refused_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get(
        "/v1/values/export.csv", params={"format": "pdf"}, headers=as_(POLICE_CLIENT)
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["format"]


def test_a_text_cell_that_looks_like_a_formula_stays_text() -> None:
    content = workbook_bytes([{"a": '=HYPERLINK("x")', "b": 2}], ["a", "b"], "t")
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value == '=HYPERLINK("x")'
    assert sheet["B2"].value == 2
