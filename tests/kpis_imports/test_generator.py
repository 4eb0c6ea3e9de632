"""Synthetic exports import cleanly, and the raw upload is kept only when asked."""

from __future__ import annotations

from pathlib import Path

from services.kpis.imports import generator
from tests.kpis_imports.conftest import ImportsApi


async def test_generated_csvs_import_without_errors(api: ImportsApi, tmp_path: Path) -> None:
    paths = generator.write_csvs(generator.Shape(rows=3000, teams=4), tmp_path)
    response = await api.upload("annex_a", [(p.name, p.read_bytes()) for p in paths])
    job = await api.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:3]
    assert job["report"]["lists"]["referral"] == 3000
    teams = {v["org_unit_code"] for v in await api.values(job["id"])}
    assert {"LOCALITY-1-TEAM", "LOCALITY-4-TEAM", "LA"} <= teams


async def test_generated_workbook_imports_without_errors(api: ImportsApi, tmp_path: Path) -> None:
    book = generator.write_workbook(generator.Shape(rows=900, teams=3), tmp_path / "a.xlsx")
    response = await api.upload("annex_a", [("a.xlsx", book.read_bytes())])
    job = await api.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:3]
    assert sum(job["report"]["lists"].values()) == 900


async def test_raw_file_kept_when_the_setting_says_so(api: ImportsApi, tmp_path: Path) -> None:
    api.app.state.import_settings = api.settings.model_copy(update={"keep_raw_uploads": True})
    paths = generator.write_csvs(generator.Shape(rows=50), tmp_path / "g")
    await api.upload("annex_a", [(paths[0].name, paths[0].read_bytes())])
    kept = [p for p in api.settings.upload_dir.rglob("*") if p.is_file()]
    assert len(kept) == 1
