"""The SSDA903 2017/18 sample: children in care at 31 March 2018, counted independently."""

from __future__ import annotations

import csv
from datetime import date, datetime

from tests.kpis.imports.conftest import SSDA903, ImportsApi

FILES = [
    "header.csv",
    "episodes.csv",
    "reviews.csv",
    "oc2.csv",
    "oc3.csv",
    "missing.csv",
    "uasc.csv",
]


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text.strip() else None


def children_in_care_on(day: date) -> int:
    """Plain Python over the CSV: an episode open at the end of ``day``, V3/V4 excluded."""
    children = set()
    with (SSDA903 / "episodes.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            start, end = _day(row["DECOM"]), _day(row["DEC"])
            if row["LS"] in ("V3", "V4") or start is None or start > day:
                continue
            if end is None or end > day:
                children.add(row["CHILD"])
    return len(children)


async def test_children_in_care_at_31_march_2018(client: ImportsApi) -> None:
    files = [(name, (SSDA903 / name).read_bytes()) for name in FILES]
    response = await client.upload("ssda903", files, collection_year=2017)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    job = await client.job(job_id)
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert job["report"]["lists"] == {
        "cla_episode": 5050,
        "care_leaver": 53,
        "missing": 43,
        "health": 2675,
        "child_header": 2675,
    }
    values = await client.values(job_id)
    march = [
        v
        for v in values
        if v["indicator_code"] == "CIC"
        and v["period_end"] == "2018-03-31"
        and v["org_unit_code"] == "LA"
    ]
    expected = children_in_care_on(date(2018, 3, 31))
    assert expected > 0
    assert len(march) == 1
    assert march[0]["numerator"] == expected
    # the accommodation codes "01"/"02" of the fake data are kept, with a warning each
    unknown = [w for w in job["report"]["warnings"] if "unknown code" in w["reason"]]
    assert {w["column"] for w in unknown} == {"ACCOM"}
    assert len(unknown) == 2


async def test_collection_year_is_inferred_from_the_episodes(client: ImportsApi) -> None:
    files = [(name, (SSDA903 / name).read_bytes()) for name in ("episodes.csv", "oc3.csv")]
    response = await client.upload("ssda903", files)
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded"
    assert job["collection_year"] == 2017
