"""Imported staff codes become worker org units, so worker figures stay restricted.

Regression (found by the end-to-end journey): the pseudonymiser writes ``W-`` and upper-case
hex, the org-unit lookup only recognised lower case, so every imported worker was created as
a *team* and per-worker figures were shown (and published) like team figures to everyone.
"""

from __future__ import annotations

from services.kpis.imports.pseudonymise import Pseudonymiser
from tests.kpis.imports.conftest import ANNEX_A, TEST_KEY, ImportsApi

PSEUDO = Pseudonymiser(TEST_KEY.encode())


async def test_imported_staff_codes_are_workers(client_with_values: ImportsApi) -> None:
    client = client_with_values
    response = await client.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    code = PSEUDO.staff("Mathilde Cutsforth")
    assert (
        await client.scalar("SELECT level FROM kpis.org_unit WHERE code = :c", c=code) == "worker"
    )
    teams = await client.scalar(
        "SELECT count(*) FROM kpis.org_unit WHERE level = 'team' AND code LIKE 'W-%'"
    )
    assert teams == 0
