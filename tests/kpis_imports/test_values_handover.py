"""End to end with the values domain: the sample's values become draft revisions."""

from __future__ import annotations

from tests.kpis_imports.conftest import ANNEX_A, ImportsApi


async def test_sample_values_become_drafts(api_with_values: ImportsApi) -> None:
    api = api_with_values
    response = await api.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job = await api.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert job["report"]["values_recorded"] > 0
    drafts = await api.scalar(
        "SELECT count(*) FROM kpis.indicator_value WHERE import_id = :id", id=job["id"]
    )
    assert drafts == job["report"]["values_recorded"]
