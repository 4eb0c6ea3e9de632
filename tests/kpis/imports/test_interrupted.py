"""An import whose process died midway does not block the same file for ever.

Regression (found by the end-to-end drill that SIGKILLs kpis during an import): the job
stayed ``running`` and every retry of the file was answered "duplicate" with the dead job.
The runner holds the job's row lock for the whole run; a ``running`` job whose row can be
locked (and is not brand new) has lost its process, ends ``failed`` and the retry runs.
"""

from __future__ import annotations

from pathlib import Path

from services.kpis.imports import generator
from services.kpis.imports.service import INTERRUPTED
from tests.kpis.imports.conftest import ImportsApi


async def _as_if_killed(client: ImportsApi, job_id: str, age: float) -> None:
    await client.scalar(
        "UPDATE kpis.import_job SET status = 'running', finished_at = NULL, "
        "created_at = now() - make_interval(secs => :age) WHERE id = CAST(:id AS uuid) RETURNING 1",
        age=age,
        id=job_id,
    )


async def test_the_retry_of_an_abandoned_import_runs_again(
    client: ImportsApi, tmp_path: Path
) -> None:
    paths = generator.write_csvs(generator.Shape(rows=200, teams=2), tmp_path)
    files = [(p.name, p.read_bytes()) for p in paths]
    first = (await client.upload("annex_a", files)).json()["id"]
    await _as_if_killed(client, first, 60)

    retry = await client.upload("annex_a", files)
    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] != first
    assert (await client.job(retry.json()["id"]))["status"] == "succeeded"
    dead = await client.job(first)
    assert dead["status"] == "failed"
    assert dead["report"]["errors"][0]["reason"] == INTERRUPTED

    again = await client.upload("annex_a", files)  # and the file is now applied once
    assert (again.status_code, again.json()["id"]) == (200, retry.json()["id"])


async def test_a_job_just_started_is_still_reported_as_under_way(
    client: ImportsApi, tmp_path: Path
) -> None:
    paths = generator.write_csvs(generator.Shape(rows=200, teams=2), tmp_path)
    files = [(p.name, p.read_bytes()) for p in paths]
    first = (await client.upload("annex_a", files)).json()["id"]
    await _as_if_killed(client, first, 0)

    retry = await client.upload("annex_a", files)
    assert (retry.status_code, retry.json()["id"], retry.json()["duplicate"]) == (200, first, True)
