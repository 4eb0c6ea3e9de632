"""Codes not in that year's list: a warning, the row kept with the field "not known"
(issue 14 item 4). Figures worked out in the test from the sample CSVs."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.kpis.imports import codes as cl
from tests.kpis.imports.conftest import SSDA903, ImportsApi

#: DfE SSDA903 2021/22 (OC3 ACTIV): F3/P3 retired, F4/P4 and F5/P5 in their place
EET_2021 = {"F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5"}


def _oc3() -> list[dict[str, str]]:
    with (SSDA903 / "oc3.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def _import(
    client: ImportsApi, files: list[tuple[str, bytes]], **form: Any
) -> dict[str, Any]:
    response = await client.upload("ssda903", files, **form)
    assert response.status_code == 202, response.text
    return await client.job(response.json()["id"])


def _one(values: list[dict[str, Any]], code: str, end: str) -> dict[str, Any]:
    [found] = [
        v
        for v in values
        if v["indicator_code"] == code and v["period_end"] == end and v["org_unit_code"] == "LA"
    ]
    return found


async def test_a_retired_activity_code_keeps_the_care_leaver(client: ImportsApi) -> None:
    """The 2017/18 sample's OC3 as a 2021/22 return: its F3/P3 codes were retired that
    year. The return no longer fails; every care leaver stays in the denominator."""
    rows = _oc3()
    retired = [n + 2 for n, r in enumerate(rows) if r["ACTIV"] in ("F3", "P3")]  # row 1: header
    assert len(retired) == 12
    job = await _import(client, [("oc3.csv", _csv(rows))], collection_year=2021)
    assert job["status"] == "succeeded", job["report"]["errors"][:3]
    assert job["report"]["error_count"] == 0
    warned = [w for w in job["report"]["warnings"] if w["column"] == "ACTIV"]
    assert [w["row"] for w in warned] == retired
    assert all(w["sheet"] == "oc3.csv" for w in warned)
    assert all("is not in the 2021/22 list" in w["reason"] for w in warned)
    assert all("kept as not known" in w["reason"] for w in warned)
    assert all("DfE SSDA903 specification 2021/22" in w["reason"] for w in warned)
    # no identifier is echoed in the report's issues
    issues = json.dumps([job["report"]["errors"], job["report"]["warnings"]])
    assert not [r["CHILD"] for r in rows if r["CHILD"] in issues]
    values = await client.values(job["id"])
    eet = _one(values, "CL_EET", "2022-03-31")
    assert eet["denominator"] == len(rows) == 53
    assert eet["numerator"] == sum(r["ACTIV"] in EET_2021 for r in rows)
    in_touch = _one(values, "CL_IN_TOUCH", "2022-03-31")
    assert (in_touch["numerator"], in_touch["denominator"]) == (
        sum(r["IN_TOUCH"] == "YES" for r in rows),
        53,
    )
    stored = await client.scalar(
        "SELECT count(*) FILTER (WHERE activity IS NULL) FROM kpis.cm_care_leaver"
    )
    assert stored == len(retired) + sum(r["ACTIV"] == "" for r in rows)


async def test_only_rows_that_cannot_be_placed_are_dropped_and_counted(client: ImportsApi) -> None:
    rows = _oc3()
    rows[4] = {**rows[4], "CHILD": ""}  # row 6: no child id
    job = await _import(client, [("oc3.csv", _csv(rows))], collection_year=2021, partial=True)
    assert job["status"] == "succeeded"
    assert [(e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]] == [
        (6, "CHILD", "missing value")
    ]
    assert job["report"]["rows_dropped"] == 1
    assert job["report"]["lists"] == {"care_leaver": 52}
    eet = _one(await client.values(job["id"]), "CL_EET", "2022-03-31")
    assert eet["denominator"] == 52


EPISODES = [
    {"CHILD": "900001", "DECOM": "01/04/2017", "RNE": "S", "LS": "C2", "DEC": ""},
    {"CHILD": "900002", "DECOM": "01/05/2017", "RNE": "S", "LS": "Z9", "DEC": ""},
    {"CHILD": "900003", "DECOM": "01/06/2017", "RNE": "S", "LS": "V3", "DEC": ""},
    {"CHILD": "900004", "DECOM": "01/06/2017", "RNE": "S", "LS": "V4", "DEC": "15/03/2018"},
    {"CHILD": "900005", "DECOM": "01/06/2017", "RNE": "S", "LS": "", "DEC": ""},
    {"CHILD": "900006", "DECOM": "01/06/2017", "RNE": "S", "LS": "Jane Doe 900006", "DEC": ""},
]


async def test_an_unknown_legal_status_keeps_the_child_in_care(client: ImportsApi) -> None:
    job = await _import(client, [("episodes.csv", _csv(EPISODES))], collection_year=2017)
    assert job["status"] == "succeeded", job["report"]["errors"]
    warnings = sorted(
        (w["row"], w["reason"]) for w in job["report"]["warnings"] if w["column"] == "LS"
    )
    assert warnings == [
        (3, "unknown code 'Z9' for legal status: kept as not known"),
        (6, "missing value: kept as not known"),
        (7, "a value that is not a code for legal status (not shown): kept as not known"),
    ]
    assert "Jane" not in str(job["report"])
    assert "900006" not in str(job["report"])
    assert job["report"]["rows_dropped"] == 0
    values = await client.values(job["id"])
    # 31 March 2018, by hand: C2 and the three statuses not known in care; V3 is a short
    # break; the V4 episode ceased on 15 March
    assert _one(values, "CIC", "2018-03-31")["numerator"] == 4
    assert _one(values, "CIC_INCL_SHORT_BREAKS", "2018-03-31")["numerator"] == 5
    # 30 June 2017: all six open; short breaks included, six; excluded, four
    assert _one(values, "CIC", "2017-06-30")["numerator"] == 4
    assert _one(values, "CIC_INCL_SHORT_BREAKS", "2017-06-30")["numerator"] == 6


def test_code_lists_are_kept_per_collection_year_with_their_specification() -> None:
    assert cl.for_year(cl.ACTIVITY_BEFORE, 2020) is cl.ACTIVITY_BEFORE
    assert cl.for_year(cl.ACTIVITY_BEFORE, 2021) is cl.ACTIVITY_FROM
    assert cl.for_year(cl.ACTIVITY_FROM, 2017) is cl.ACTIVITY_BEFORE
    assert "2017/18" in cl.ACTIVITY_BEFORE.spec
    assert "2021/22" in cl.ACTIVITY_FROM.spec
    assert cl.unknown_reason("F3", cl.ACTIVITY_FROM, 2021).startswith(
        "code 'F3' is not in the 2021/22 list"
    )
    assert cl.unknown_reason("Q7", cl.ACTIVITY_FROM, 2021).startswith("unknown code 'Q7'")
