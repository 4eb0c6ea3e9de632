"""An import killed midway no longer shows ``running`` for ever after a restart (issue 15).

At start-up kpis ends as failed every queued or running job whose process is gone, by the
rule a retry of the file already used: a live runner (on any replica) holds its job's row
lock for the whole run; jobs younger than a starting runner's grace are left alone.
Committed rows on real connections: the lock of "another replica" is a second connection.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpis.config import KpisSettings
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.service import INTERRUPTED
from services.kpis.main import create_app
from tests.kpis.imports.conftest import TEST_KEY
from tests.support.database import ThrowawayDatabase

AGENCY = "startup-test"


@pytest.fixture
async def jobs(engines: dict[str, AsyncEngine]) -> AsyncIterator[dict[str, uuid.UUID]]:
    """Four committed jobs as a crash and a busy neighbour replica leave them."""
    shapes = {
        "killed": ("running", 60),  # its process died a minute ago
        "neighbour": ("running", 60),  # another replica is running it (holds the lock)
        "just_queued": ("queued", 10),  # another replica is about to run it
        "lost": ("queued", 600),  # queued ten minutes ago, never started
    }
    made = {name: uuid.uuid4() for name in shapes}
    async with engines["kpis"].begin() as conn:
        for name, (status, age) in shapes.items():
            await conn.execute(
                text(
                    "INSERT INTO kpis.import_job (id, kind, status, file_sha256, agency, "
                    "created_by, created_at) VALUES (:id, 'annex_a', :status, :sha, :agency, "
                    "'tester', now() - make_interval(secs => :age))"
                ),
                {"id": made[name], "status": status, "sha": name, "agency": AGENCY, "age": age},
            )
    yield made
    async with engines["kpis"].begin() as conn:
        await conn.execute(text("DELETE FROM kpis.import_job WHERE agency = :a"), {"a": AGENCY})
        await conn.execute(
            text("DELETE FROM kpis.outbox WHERE entity_id = ANY(:ids)"),
            {"ids": [str(i) for i in made.values()]},
        )


async def _states(engine: AsyncEngine, made: dict[str, uuid.UUID]) -> dict[str, tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT id, status, coalesce(report->'errors'->0->>'reason', '') "
                "FROM kpis.import_job WHERE agency = :a"
            ),
            {"a": AGENCY},
        )
        by_id = {r[0]: (r[1], r[2]) for r in rows.all()}
    return {name: by_id[job] for name, job in made.items()}


async def test_a_restart_fails_only_the_imports_whose_process_is_gone(
    engines: dict[str, AsyncEngine],
    database: ThrowawayDatabase,
    jobs: dict[str, uuid.UUID],
    tmp_path: Path,
) -> None:
    settings = KpisSettings(profile="test", database_url=database.service_url("kpis"))
    imports = ImportSettings(
        profile="test", pseudonymisation_key=SecretStr(TEST_KEY), upload_dir=tmp_path / "up"
    )
    app = create_app(settings, imports)
    async with engines["kpis"].connect() as neighbour:
        await neighbour.begin()
        await neighbour.execute(
            text("SELECT 1 FROM kpis.import_job WHERE id = :id FOR UPDATE"),
            {"id": jobs["neighbour"]},
        )
        async with app.router.lifespan_context(app):  # kpis starts
            pass
        await neighbour.rollback()
    states = await _states(engines["kpis"], jobs)
    assert states == {
        "killed": ("failed", INTERRUPTED),
        "neighbour": ("running", ""),
        "just_queued": ("queued", ""),
        "lost": ("failed", INTERRUPTED),
    }
    async with engines["kpis"].connect() as conn:
        events = await conn.scalar(
            text(
                "SELECT count(*) FROM kpis.outbox WHERE event_type = 'import.failed' "
                "AND entity_id = ANY(:ids)"
            ),
            {"ids": [str(jobs["killed"]), str(jobs["lost"])]},
        )
    assert events == 2
