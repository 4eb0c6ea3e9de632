"""An import's worker-level values follow the one rule for staff-level figures (Z5).

Regression (issue 15): ``GET /v1/imports/{id}/values`` gave a council machine client (not
a manager, no purpose) every worker row of an import, and recorded no sensitive read.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from services.kpis.imports.pseudonymise import Pseudonymiser
from tests.kpis.imports.conftest import (
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


async def _reads(client: ImportsApi) -> list[Any]:
    rows = await client.connection.execute(
        text(
            "SELECT entity_id, purpose, actor->>'subject' FROM kpis.outbox "
            "WHERE event_type = 'sensitive.read' ORDER BY seq"
        )
    )
    return [tuple(r) for r in rows.all()]


async def _get(client: ImportsApi, job_id: str, headers: Any, **params: Any) -> httpx.Response:
    params = {"limit": 200} | params
    return await client.http.get(f"/v1/imports/{job_id}/values", params=params, headers=headers)


async def _every(
    client: ImportsApi, job_id: str, headers: Any, **params: Any
) -> tuple[list[dict[str, Any]], int]:
    """Every value, page by page, and how many pages (requests) it took."""
    items: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = await _get(client, job_id, headers, offset=len(items), **params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        items.extend(page["items"])
        if not page["items"] or len(items) >= page["total"]:
            return items, pages


async def test_worker_values_of_an_import_need_a_manager_and_a_purpose(client: ImportsApi) -> None:
    created = await client.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job_id = created.json()["id"]
    assert (await client.job(job_id))["status"] == "succeeded"
    stored = await client.connection.execute(
        text("SELECT org_unit_code FROM kpis.import_value WHERE import_id = :i"), {"i": job_id}
    )
    codes = [r[0] for r in stored.all()]
    workers = [c for c in codes if c.startswith("W-")]
    assert WORKER in workers  # the sample has worker rows to leak
    reads_before = await _reads(client)

    for who in (CLIENT, VIEWER, CONTRIBUTOR):
        for params in ({}, {"purpose": "curious"}):
            seen = [v["org_unit_code"] for v in (await _every(client, job_id, who, **params))[0]]
            assert len(seen) == len(codes) - len(workers)
            assert not any(c.startswith("W-") for c in seen)
    # a manager without a purpose sees no worker rows either; a blank purpose is a 400
    plain, _ = await _every(client, job_id, IMPORTER)
    assert not any(v["org_unit_code"].startswith("W-") for v in plain)
    blank = await _get(client, job_id, IMPORTER, purpose="   ")
    assert blank.status_code == 400
    assert blank.json()["errors"][0]["field"] == "purpose"
    assert await _reads(client) == reads_before  # nothing sensitive was read

    stated, pages = await _every(client, job_id, IMPORTER, purpose="supervision audit")
    assert sorted(v["org_unit_code"] for v in stated) == sorted(codes)
    assert pages == -(-len(codes) // 200)  # the sample's values need several pages
    subject = IMPORTER.who.subject
    read = (f"import:{job_id}", "supervision audit", subject)
    assert await _reads(client) == [*reads_before, *[read] * pages]  # each page read is recorded


async def test_an_imports_values_answer_pages_that_cover_each_value_once(
    client: ImportsApi,
) -> None:
    """Issue 18 item 2: the values answer ``{items, total, limit, offset}``; walking the pages
    gives every value the caller may see exactly once, in a stable order."""
    created = await client.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    job_id = created.json()["id"]
    assert (await client.job(job_id))["status"] == "succeeded"
    stored = await client.connection.execute(
        text(
            "SELECT id FROM kpis.import_value WHERE import_id = :i AND org_unit_code NOT LIKE 'W-%'"
        ),
        {"i": job_id},
    )
    visible = sorted(r[0] for r in stored.all())
    assert len(visible) > 7
    seen: list[tuple[Any, ...]] = []
    offset = 0
    while True:
        r = await _get(client, job_id, VIEWER, limit=7, offset=offset)
        assert r.status_code == 200, r.text
        page = r.json()
        assert (page["total"], page["limit"], page["offset"]) == (len(visible), 7, offset)
        assert len(page["items"]) == min(7, len(visible) - offset)
        keys = ("indicator_code", "period_type", "period_start", "org_unit_code", "period_end")
        seen += [tuple(v[k] for k in keys) for v in page["items"]]
        offset += 7
        if offset >= len(visible):
            break
    assert len(seen) == len(set(seen)) == len(visible)
    ordered = [v[:4] for v in seen]  # indicator, period type, period start, org unit
    assert ordered == sorted(ordered)
    assert (await _get(client, job_id, VIEWER, limit=201)).status_code == 422
