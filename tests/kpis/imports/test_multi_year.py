"""Issue 14, item 3: several SSDA903 collection years in one upload, each computed alone.

The years are built from the public 2017/18 sample by shifting every date back by whole
years (2014/15 … 2016/17); 2016/17 also lists the 2017/18 episodes that were open on
31 March 2017, as a real 2016/17 return would (the same episodes, in two years' files).
Children looked after on 31 March are counted per year in plain Python over the CSV text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.kpis.imports import unzip
from tests.kpis.imports.conftest import SSDA903, ImportsApi

FILES = ["header.csv", "episodes.csv", "reviews.csv", "oc2.csv", "oc3.csv", "missing.csv"]
YEARS = (2014, 2015, 2016, 2017)
DATE = re.compile(r"\b(\d\d)/(\d\d)/(\d{4})\b")


def _shift(text: str, years: int) -> str:
    def back(match: re.Match[str]) -> str:
        day, month, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        day = 28 if (month, day) == (2, 29) else day
        return f"{day:02d}/{month:02d}/{year - years}"

    return DATE.sub(back, text)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _csv(rows: list[dict[str, str]], headers: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, headers, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text.strip() else None


def year_files() -> dict[int, dict[str, str]]:
    """Collection year → file name → CSV text."""
    sample = {name: (SSDA903 / name).read_text() for name in FILES}
    built = {year: {n: _shift(t, 2017 - year) for n, t in sample.items()} for year in YEARS}
    # 2016/17 also lists the 2017/18 episodes open on 31 March 2017 (still open then)
    episodes = _rows(built[2016]["episodes.csv"])
    headers = list(episodes[0])
    present = {(r["CHILD"], r["DECOM"]) for r in episodes}
    cutoff = date(2017, 3, 31)
    for row in _rows(sample["episodes.csv"]):
        start, end = _day(row["DECOM"]), _day(row["DEC"])
        if start is None or start > cutoff or (row["CHILD"], row["DECOM"]) in present:
            continue
        if end is not None and end <= cutoff:
            continue
        episodes.append({**row, "DEC": "", "REC": "", "REASON_PLACE_CHANGE": ""})
    built[2016]["episodes.csv"] = _csv(episodes, headers)
    return built


def looked_after_on(episodes_text: str, day: date) -> int:
    """Children with an episode open at the end of ``day``, V3/V4 excluded."""
    children = set()
    for row in _rows(episodes_text):
        start, end = _day(row["DECOM"]), _day(row["DEC"])
        if row["LS"] in ("V3", "V4") or start is None or start > day:
            continue
        if end is None or end > day:
            children.add(row["CHILD"])
    return len(children)


def repeated_episodes(built: dict[int, dict[str, str]]) -> int:
    """(child, start) pairs listed by more than one year's episodes file."""
    years_of: dict[tuple[str, str], set[int]] = {}
    for year, files in built.items():
        for row in _rows(files["episodes.csv"]):
            years_of.setdefault((row["CHILD"], row["DECOM"]), set()).add(year)
    return sum(1 for found in years_of.values() if len(found) > 1)


def _march(values: list[dict[str, Any]], code: str, year: int) -> dict[str, Any]:
    found = [
        v
        for v in values
        if v["indicator_code"] == code
        and v["period_type"] == "month"
        and v["period_end"] == f"{year + 1}-03-31"
        and v["org_unit_code"] == "LA"
    ]
    assert len(found) == 1, (code, year, found)
    return found[0]


async def _check_years(client: ImportsApi, response: Any, built: dict[int, dict[str, str]]) -> None:
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert set(job["report"]["collection_years"]) == {"2014/15", "2015/16", "2016/17", "2017/18"}
    values = await client.values(job["id"])
    figures = {}
    for year in YEARS:
        expected = looked_after_on(built[year]["episodes.csv"], date(year + 1, 3, 31))
        figures[year] = expected
        assert _march(values, "CIC", year)["numerator"] == expected, year
        # care leavers: that year's OC3 only (53 young people), never the years added up
        oc3 = _rows(built[year]["oc3.csv"])
        in_touch = _march(values, "CL_IN_TOUCH", year)
        assert in_touch["denominator"] == len(oc3) == 53
        assert in_touch["numerator"] == sum(1 for r in oc3 if r["IN_TOUCH"] == "YES")
    assert len(set(figures.values())) > 1  # the years differ: each was computed on its own
    assert job["report"]["episodes_in_several_years"] == repeated_episodes(built) > 0
    assert job["collection_year"] is None  # several years: see collection_years


async def test_four_years_as_plain_files_each_year_computed_alone(client: ImportsApi) -> None:
    built = year_files()
    files = [
        (f"{name[:-4]}_{year}-{(year + 1) % 100:02d}.csv", text.encode())
        for year, texts in built.items()
        for name, text in texts.items()
    ]
    assert len(files) == 24  # more than the 20 files allowed before
    await _check_years(client, await client.upload("ssda903", files), built)


async def test_four_years_in_a_zip_named_by_their_last_year(client: ImportsApi) -> None:
    # folders "2015" … "2018": the episodes tell that "2015" means 2014/15
    built = year_files()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for year, texts in built.items():
            for name, text in texts.items():
                out.writestr(f"903/{year + 1}/{name}", text)
    response = await client.upload("ssda903", [("returns.zip", archive.getvalue())])
    await _check_years(client, response, built)


async def test_a_file_whose_year_cannot_be_told_is_a_problem_naming_it(
    client: ImportsApi,
) -> None:
    built = year_files()
    files = [
        ("episodes_2016-17.csv", built[2016]["episodes.csv"].encode()),
        ("episodes_2017-18.csv", built[2017]["episodes.csv"].encode()),
        ("oc3.csv", built[2017]["oc3.csv"].encode()),
    ]
    response = await client.upload("ssda903", files)
    job = await client.job(response.json()["id"])
    assert job["status"] == "rejected"
    errors = [e for e in job["report"]["errors"] if e["sheet"] == "oc3.csv"]
    assert len(errors) == 1
    assert "cannot be told" in errors[0]["reason"]
    assert await client.scalar("SELECT count(*) FROM kpis.cm_cla_episode") == 0


async def test_files_of_another_year_than_asked_are_refused(client: ImportsApi) -> None:
    built = year_files()
    files = [
        ("episodes_2016-17.csv", built[2016]["episodes.csv"].encode()),
        ("episodes_2017-18.csv", built[2017]["episodes.csv"].encode()),
    ]
    response = await client.upload("ssda903", files, collection_year=2017)
    job = await client.job(response.json()["id"])
    assert job["status"] == "rejected"
    assert [e["sheet"] for e in job["report"]["errors"]] == ["episodes_2016-17.csv"]


async def test_a_zips_files_are_deleted_when_the_import_ends(client: ImportsApi) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("2017-18/episodes.csv", (SSDA903 / "episodes.csv").read_text())
        out.writestr("2017-18/oc3.csv", (SSDA903 / "oc3.csv").read_text())
    response = await client.upload("ssda903", [("year.zip", archive.getvalue())])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert job["collection_year"] == 2017
    assert [p for p in client.settings.upload_dir.rglob("*") if p.is_file()] == []


def test_an_archive_larger_than_allowed_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "00.upload"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("a.csv", "CHILD,DECOM\n" + "1,01/01/2018\n" * 10_000)
        out.writestr("b.csv", "CHILD,DECOM\n")
    assert unzip.is_archive(path)
    with pytest.raises(unzip.BadArchive, match="larger than allowed"):
        unzip.expand(path, "big.zip", max_bytes=50_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00.upload"]
