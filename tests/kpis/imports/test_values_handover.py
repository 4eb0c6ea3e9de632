"""End to end with the values domain: the sample's values become draft revisions."""

from __future__ import annotations

from tests.kpis.imports.conftest import ANNEX_A, ImportsApi


async def test_sample_values_become_drafts(client_with_values: ImportsApi) -> None:
    client = client_with_values
    response = await client.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    assert job["report"]["values_recorded"] > 0
    drafts = await client.scalar(
        "SELECT count(*) FROM kpis.indicator_value WHERE import_id = :id", id=job["id"]
    )
    assert drafts == job["report"]["values_recorded"]
