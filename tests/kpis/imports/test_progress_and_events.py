"""Issue 18, item 5: an import's progress lives on its job row (the same from every kpis
replica), a front end follows it by server-sent events, and uploads may be gzip or zip.

The progress tests that need two replicas run on committed rows over real connections
(the rolled-back harness shares one connection between every session) and delete what they
made. Expected figures are counted here, from the files, not by the code under test.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.kpis.config import KpisSettings
from services.kpis.imports import generator, progress, service
from services.kpis.imports.cin_generator import census_bytes, children
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.models import CHILD_TABLES
from services.kpis.main import create_app
from shared.db import create_sessionmaker
from shared.identity import InternalTokenVerifier
from tests.kpis.imports.conftest import IMPORTER, TEST_KEY, ImportsApi, _app
from tests.support.apps import client_for
from tests.support.tokens import ISSUER, internal_keys


def _csvs(tmp_path: Path, rows: int, seed: int = 1) -> list[tuple[str, bytes]]:
    shape = generator.Shape(rows=rows, teams=2, seed=seed)
    return [(p.name, p.read_bytes()) for p in generator.write_csvs(shape, tmp_path / "csv")]


def _data_lines(files: list[tuple[str, bytes]]) -> int:
    """Rows the CSVs hold, counted here: non-empty lines less each file's header."""
    return sum(len([x for x in body.splitlines() if x.strip()]) - 1 for _, body in files)


def _events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """``(event, data)`` of each event of a ``text/event-stream`` body (comments skipped)."""
    found = []
    for block in body.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if line and ":" in line[1:]
        )
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


# -- the stream through the kpis app ------------------------------------------------------


async def test_an_event_stream_follows_an_import_to_its_end(
    client: ImportsApi, tmp_path: Path
) -> None:
    files = _csvs(tmp_path, 300)
    created = await client.upload("annex_a", files)
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]

    response = await client.http.get(f"/v1/imports/{job_id}/events", headers=IMPORTER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    events = _events(response.text)
    assert events[-1][0] == "end"
    end = events[-1][1]
    job = await client.job(job_id)
    assert (end["id"], end["status"], end["stage"], end["percent"]) == (
        job_id,
        "succeeded",
        "finished",
        100,
    )
    assert end["rows_expected"] == _data_lines(files)
    assert end["rows_read"] == job["progress"]["rows_read"] == _data_lines(files)
    assert job["progress"]["stage"] == "finished"


async def test_the_stream_of_another_agencys_import_is_404(
    client: ImportsApi, tmp_path: Path
) -> None:
    from tests.kpis.imports.conftest import POLICE

    job_id = (await client.upload("annex_a", _csvs(tmp_path, 50))).json()["id"]
    refused = await client.http.get(f"/v1/imports/{job_id}/events", headers=POLICE)
    assert refused.status_code == 404
    assert refused.headers["content-type"] == "application/problem+json"
    missing = await client.http.get(f"/v1/imports/{uuid.uuid4()}/events", headers=IMPORTER)
    assert missing.status_code == 404


def test_percent_follows_the_stages() -> None:
    assert progress.percent("queued", 0, None) == 0
    assert progress.percent("reading", 50, 100) == 45
    assert progress.percent("reading", 500, 100) == 89  # an estimate passed: not done yet
    assert progress.percent("reading", 5, None) is None
    assert [progress.percent(s, 1, 1) for s in ("computing", "recording", "finished")] == [
        90,
        95,
        100,
    ]


def test_rows_expected_counts_csv_lines_sheets_and_children(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    csv.write_bytes(b"h1,h2\r\n1,2\r\n3,4")  # no newline after the last row
    xml = tmp_path / "c.xml"
    xml.write_bytes(census_bytes(2023, children(7, 2023)))
    book = generator.write_workbook(generator.Shape(rows=100, teams=2), tmp_path / "b.xlsx")
    zipped = tmp_path / "z.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("x/a.csv", b"h\n1\n2\n3\n")
    from openpyxl import load_workbook

    sheets = load_workbook(book, read_only=True)
    book_rows = sum(len(list(ws.iter_rows())) - 1 for ws in sheets.worksheets)
    assert progress.expected_rows([csv]) == 2
    assert progress.expected_rows([xml]) == 7
    assert progress.expected_rows([book]) == book_rows
    assert progress.expected_rows([zipped]) == 3
    assert progress.expected_rows([csv, zipped]) == 5


# -- gzip and zip uploads ------------------------------------------------------------------


async def test_a_gzip_upload_is_read_as_its_file(client: ImportsApi, tmp_path: Path) -> None:
    files = _csvs(tmp_path, 200)
    plain = await client.upload("annex_a", files)
    packed = await client.upload("annex_a", [(n + ".gz", gzip.compress(b)) for n, b in files])
    assert plain.status_code == packed.status_code == 202, packed.text
    a, b = await client.job(plain.json()["id"]), await client.job(packed.json()["id"])
    assert b["status"] == "succeeded", b["report"]
    assert b["progress"]["rows_read"] == a["progress"]["rows_read"] == _data_lines(files)
    assert b["report"]["lists"] == a["report"]["lists"]
    assert await client.values(b["id"]) == await client.values(a["id"])


async def test_a_census_in_a_zip_of_one_file_is_read(client: ImportsApi) -> None:
    body = census_bytes(2023, children(20, 2023))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("census.xml", body)
    created = await client.upload("cin_census", [("census.zip", out.getvalue())])
    assert created.status_code == 202, created.text
    job = await client.job(created.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    assert job["progress"]["rows_read"] == 20


async def _no_job(client: ImportsApi) -> None:
    assert await client.scalar("SELECT count(*) FROM kpis.import_job") == 0
    uploads = client.settings.upload_dir
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]


async def test_a_zip_of_two_files_for_a_one_file_kind_is_refused(client: ImportsApi) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("census.xml", census_bytes(2023, children(3, 2023)))
        archive.writestr("other.xml", census_bytes(2023, children(3, 2023)))
    refused = await client.upload("cin_census", [("census.zip", out.getvalue())])
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["errors"][0]["field"] == "files"
    assert problem["errors"][0]["code"] == "members"
    await _no_job(client)


async def test_a_gzip_of_two_members_is_refused(client: ImportsApi, tmp_path: Path) -> None:
    (name, body), _ = _csvs(tmp_path, 20)
    refused = await client.upload("annex_a", [(name + ".gz", gzip.compress(body) * 2)])
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["code"] == "members"
    await _no_job(client)


async def test_a_gzip_bomb_is_refused_before_parsing(client: ImportsApi) -> None:
    bomb = gzip.compress(b"0" * 20_000_000)  # about 20 kB unpacking to 20 MB: ratio ~1000
    refused = await client.upload("annex_a", [("referrals.csv.gz", bomb)])
    assert refused.status_code == 413, refused.text
    assert refused.json()["errors"][0]["code"] == "compression_ratio"
    await _no_job(client)


async def test_a_gzip_past_the_unpacked_size_is_refused(
    kpis_connection: Any, tmp_path: Path
) -> None:
    app, _ = _app(kpis_connection, tmp_path, max_unpacked_bytes=1_000_000)
    body = b"h\n" + b"".join(f"{i}\n".encode() for i in range(300_000))  # ~2 MB, ratio < 10
    async with client_for(app) as http:
        refused = await http.post(
            "/v1/imports",
            data={"kind": "annex_a"},
            files=[("files", ("a.csv.gz", gzip.compress(body)))],
            headers=IMPORTER,
        )
    assert refused.status_code == 413, refused.text
    assert refused.json()["errors"][0]["code"] == "unpacked_size"
    assert "1,000,000" in refused.json()["detail"]


async def test_an_upload_past_the_limit_is_413_stating_it(
    kpis_connection: Any, tmp_path: Path
) -> None:
    app, _ = _app(kpis_connection, tmp_path, max_upload_bytes=10_000)
    async with client_for(app) as http:
        refused = await http.post(
            "/v1/imports",
            data={"kind": "annex_a"},
            files=[("files", ("a.csv", b"x" * 20_000))],
            headers=IMPORTER,
        )
    assert refused.status_code == 413, refused.text
    problem = refused.json()
    assert "10,000 bytes" in problem["detail"]
    assert problem["errors"][0] == {
        "field": "files",
        "in": "body",
        "message": problem["detail"],
        "code": "upload_size",
    }


# -- two replicas on committed rows ---------------------------------------------------------


def _replica(engine: AsyncEngine, tmp_path: Path) -> FastAPI:
    """A kpis app on its own pool of real connections, as a second replica would be."""
    app = create_app(KpisSettings(profile="test"))
    app.state.import_settings = ImportSettings(
        profile="test",
        pseudonymisation_key=SecretStr(TEST_KEY),
        upload_dir=tmp_path / "uploads",
        progress_interval_s=0.05,
        events_poll_s=0.05,
        events_heartbeat_s=0.2,
    )
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="kpis")
    return app


@asynccontextmanager
async def _cleaned(engine: AsyncEngine, made: list[str]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        async with engine.begin() as conn:
            for job_id in made:
                for table in [*CHILD_TABLES.values()]:
                    await conn.execute(
                        text(f"DELETE FROM kpis.{table.name} WHERE import_id = :id"),
                        {"id": uuid.UUID(job_id)},
                    )
                await conn.execute(
                    text("DELETE FROM kpis.import_job WHERE id = :id"), {"id": uuid.UUID(job_id)}
                )
                await conn.execute(
                    text("DELETE FROM kpis.outbox WHERE entity_id = :id"), {"id": job_id}
                )


async def test_progress_is_read_the_same_from_a_second_replica(
    engines: dict[str, AsyncEngine],
    tmp_path: Path,
    recorded: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = engines["kpis"]
    files = _csvs(tmp_path, 400, seed=18)
    entered, release = asyncio.Event(), asyncio.Event()
    real_compute = service.compute

    async def held_compute(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await release.wait()
        return await real_compute(*args, **kwargs)

    monkeypatch.setattr(service, "compute", held_compute)
    running, other = _replica(engine, tmp_path), _replica(engine, tmp_path)
    made: list[str] = []
    async with (
        _cleaned(engine, made),
        client_for(running) as http_a,
        client_for(other) as http_b,
    ):
        # replica A takes the upload; its runner stops at the computing stage
        posting = asyncio.create_task(
            http_a.post(
                "/v1/imports",
                data={"kind": "annex_a"},
                files=[("files", f) for f in files],
                headers=IMPORTER,
            )
        )
        try:
            await asyncio.wait_for(entered.wait(), 60)
            async with engine.connect() as conn:
                job_id = str(
                    (
                        await conn.execute(
                            text(
                                "SELECT id FROM kpis.import_job WHERE status = 'running' "
                                "ORDER BY created_at DESC LIMIT 1"
                            )
                        )
                    ).scalar()
                )
                made.append(job_id)
                # the runner's lock still says "alive" to the abandoned-job test
                locked = await conn.execute(
                    text("SELECT id FROM kpis.import_job WHERE id = :id FOR UPDATE SKIP LOCKED"),
                    {"id": uuid.UUID(job_id)},
                )
                assert locked.scalar() is None
                await conn.rollback()

            # replica B reads the progress A's runner wrote
            midway = await http_b.get(f"/v1/imports/{job_id}", headers=IMPORTER)
            assert midway.status_code == 200
            seen = midway.json()
            assert seen["status"] == "running"
            assert seen["progress"]["stage"] == "computing"
            assert seen["progress"]["percent"] == 90
            assert seen["progress"]["rows_read"] == _data_lines(files)
            assert seen["progress"]["rows_expected"] == _data_lines(files)

            # and follows it by events from here to its end
            following = asyncio.create_task(
                http_b.get(f"/v1/imports/{job_id}/events", headers=IMPORTER)
            )
            await asyncio.sleep(0.5)  # let the stream see the computing stage first
            release.set()
            streamed = await asyncio.wait_for(following, 60)
        finally:
            release.set()
            created = await posting
        assert created.status_code == 202, created.text
        events = _events(streamed.text)
        stages = [(name, data["stage"]) for name, data in events]
        assert stages[0] == ("progress", "computing")
        assert stages[-1] == ("end", "finished")
        assert [n for n, _ in stages].count("end") == 1
        order = [progress.STAGES.index(stage) for _, stage in stages]
        assert order == sorted(order)
        assert events[-1][1]["status"] == "succeeded"
        assert events[-1][1]["rows_read"] == _data_lines(files)
        final = (await http_b.get(f"/v1/imports/{job_id}", headers=IMPORTER)).json()
        assert (final["status"], final["progress"]["percent"]) == ("succeeded", 100)


async def test_a_quiet_stream_sends_keep_alive_comments(
    engines: dict[str, AsyncEngine], tmp_path: Path
) -> None:
    engine = engines["kpis"]
    job_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO kpis.import_job (id, kind, status, stage, file_sha256, agency, "
                "created_by) VALUES (:id, 'annex_a', 'running', 'reading', :sha, 'council', 't')"
            ),
            {"id": uuid.UUID(job_id), "sha": job_id},
        )
    app = _replica(engine, tmp_path)
    app.state.import_settings = app.state.import_settings.model_copy(update={"events_max_s": 1.0})
    async with _cleaned(engine, [job_id]), client_for(app) as http:
        response = await http.get(f"/v1/imports/{job_id}/events", headers=IMPORTER)
    assert response.status_code == 200
    assert response.text.count(": keep-alive") >= 2
    assert [name for name, _ in _events(response.text)] == ["progress"]
