"""Synthetic exports import cleanly, and the raw upload is kept only when asked."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from services.kpis.imports import generator
from tests.kpis.imports.conftest import ImportsApi


async def test_generated_csvs_import_without_errors(client: ImportsApi, tmp_path: Path) -> None:
    paths = generator.write_csvs(generator.Shape(rows=3000, teams=4), tmp_path)
    response = await client.upload("annex_a", [(p.name, p.read_bytes()) for p in paths])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:3]
    assert job["report"]["lists"]["referral"] == 3000
    teams = {v["org_unit_code"] for v in await client.values(job["id"])}
    assert {"LOCALITY-1-TEAM", "LOCALITY-4-TEAM", "LA"} <= teams


async def test_generated_workbook_imports_without_errors(
    client: ImportsApi, tmp_path: Path
) -> None:
    book = generator.write_workbook(generator.Shape(rows=900, teams=3), tmp_path / "a.xlsx")
    response = await client.upload("annex_a", [("a.xlsx", book.read_bytes())])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:3]
    assert sum(job["report"]["lists"].values()) == 900


async def test_raw_file_kept_when_the_setting_says_so(client: ImportsApi, tmp_path: Path) -> None:
    client.app.state.import_settings = client.settings.model_copy(update={"keep_raw_uploads": True})
    paths = generator.write_csvs(generator.Shape(rows=50), tmp_path / "g")
    await client.upload("annex_a", [(paths[0].name, paths[0].read_bytes())])
    kept = [p for p in client.settings.upload_dir.rglob("*") if p.is_file()]
    assert len(kept) == 1


def test_a_childs_assessments_never_start_on_the_same_day() -> None:
    """Regression: an assessment started up to 4 days after its referral, so the two
    referral bands of a child could give two assessments on one day, and with the same
    authorisation date a genuine duplicate row (one in 4.8M assessments: the 8M-referral
    benchmark file was rejected). Starts now stay within their referral's band."""
    start = pl.col("Continuous Assessment Start Date")
    serial = pl.lit(generator.EXCEL_EPOCH) + pl.duration(days=start.cast(pl.Int64, strict=False))
    day = pl.coalesce(
        start.str.strptime(pl.Date, "%d/%m/%Y", strict=False),
        start.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
        serial,
    )
    frame = generator.assessments(generator.Shape(rows=200_000)).select(
        pl.col("Child Unique ID").alias("child"), day.alias("day")
    )
    assert frame["day"].null_count() == 0
    per_child = frame.group_by("child").agg(pl.len().alias("n"), pl.col("day").n_unique())
    assert per_child.filter(pl.col("n") != pl.col("day")).height == 0
