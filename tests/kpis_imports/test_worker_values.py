"""An import's worker-level values follow the one rule for staff-level figures (Z5).

Regression (issue 15): ``GET /v1/imports/{id}/values`` gave a council machine client (not
a manager, no purpose) every worker row of an import, and recorded no sensitive read.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from services.kpis.imports.pseudonymise import Pseudonymiser
from tests.kpis_imports.conftest import (
    ANNEX_A,
    CLIENT,
    CONTRIBUTOR,
    IMPORTER,
    TEST_KEY,
    VIEWER,
    ImportsApi,
)

PSEUDO = Pseudonymiser(TEST_KEY.encode())
WORKER = PSEUDO.staff("Mathilde Cutsforth")  # a social worker of the sample export


async def _reads(api: ImportsApi) -> list[Any]:
    rows = await api.connection.execute(
        text(
            "SELECT entity_id, purpose, actor->>'subject' FROM kpis.outbox "
            "WHERE event_type = 'sensitive.read' ORDER BY seq"
        )
    )
    return [tuple(r) for r in rows.all()]


async def _get(api: ImportsApi, job_id: str, headers: Any, **params: str) -> httpx.Response:
    return await api.http.get(f"/v1/imports/{job_id}/values", params=params, headers=headers)


async def test_worker_values_of_an_import_need_a_manager_and_a_purpose(api: ImportsApi) -> None:
    created = await api.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job_id = created.json()["id"]
    assert (await api.job(job_id))["status"] == "succeeded"
    stored = await api.connection.execute(
        text("SELECT org_unit_code FROM kpis.import_value WHERE import_id = :i"), {"i": job_id}
    )
    codes = [r[0] for r in stored.all()]
    workers = [c for c in codes if c.startswith("W-")]
    assert WORKER in workers  # the sample has worker rows to leak
    reads_before = await _reads(api)

    for who in (CLIENT, VIEWER, CONTRIBUTOR):
        for params in ({}, {"purpose": "curious"}):
            response = await _get(api, job_id, who, **params)
            assert response.status_code == 200, response.text
            seen = [v["org_unit_code"] for v in response.json()]
            assert len(seen) == len(codes) - len(workers)
            assert not any(c.startswith("W-") for c in seen)
    # a manager without a purpose sees no worker rows either; a blank purpose is a 400
    plain = await _get(api, job_id, IMPORTER)
    assert not any(v["org_unit_code"].startswith("W-") for v in plain.json())
    blank = await _get(api, job_id, IMPORTER, purpose="   ")
    assert blank.status_code == 400
    assert blank.json()["errors"][0]["field"] == "purpose"
    assert await _reads(api) == reads_before  # nothing sensitive was read

    stated = await _get(api, job_id, IMPORTER, purpose="supervision audit")
    assert stated.status_code == 200
    assert sorted(v["org_unit_code"] for v in stated.json()) == sorted(codes)
    subject = IMPORTER.who.subject
    assert await _reads(api) == [*reads_before, (f"import:{job_id}", "supervision audit", subject)]
