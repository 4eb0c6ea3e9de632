"""Imports fixtures: the KPI app with the imports router, on a rolled-back connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.kpis.config import KpisSettings
from services.kpis.imports import intake
from services.kpis.imports.config import ImportSettings
from services.kpis.main import create_app
from tests.support.apps import bind_app, client_for, session_on
from tests.support.database import SAMPLE_DATA
from tests.support.tokens import FreshAuth, caller

DATA = SAMPLE_DATA
ANNEX_A = DATA / "annex-a" / "Annex_A_sample.xlsx"
SSDA903 = DATA / "ssda903"
TEST_KEY = "test-pseudonymisation-key-0123456789abcdef"

IMPORTER = FreshAuth(caller("council", ("approver",)), "kpis")
#: another council importer (four eyes: the one who withdraws an import did not run it)
SECOND_IMPORTER = FreshAuth(caller("council", ("approver",), subject="second-approver"), "kpis")
CONTRIBUTOR = FreshAuth(caller("council", ("contributor",)), "kpis")
CLIENT = FreshAuth(caller("council", (), ("kpis:import",), kind="client"), "kpis")
VIEWER = FreshAuth(caller("council", ("viewer",)), "kpis")
POLICE = FreshAuth(caller("police", ("contributor",)), "kpis")


@dataclass
class ImportsApi:
    app: FastAPI
    http: httpx.AsyncClient
    connection: AsyncConnection
    settings: ImportSettings

    async def upload(
        self,
        kind: str,
        files: list[tuple[str, bytes]],
        headers: dict[str, str] | None = None,
        **form: Any,
    ) -> httpx.Response:
        data = {
            "kind": kind,
            **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in form.items()},
        }
        return await self.http.post(
            "/v1/imports",
            data=data,
            files=[("files", (name, content)) for name, content in files],
            headers=IMPORTER if headers is None else headers,
        )

    async def job(self, job_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/imports/{job_id}", headers=IMPORTER)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def values(self, job_id: str) -> list[dict[str, Any]]:
        """Every value, worker level included (a council manager stating a purpose), read
        page by page."""
        found: list[dict[str, Any]] = []
        while True:
            response = await self.http.get(
                f"/v1/imports/{job_id}/values",
                params={
                    "purpose": "test: check the computed figures",
                    "limit": 200,
                    "offset": len(found),
                },
                headers=IMPORTER,
            )
            assert response.status_code == 200, response.text
            page = response.json()
            found.extend(page["items"])
            if not page["items"] or len(found) >= page["total"]:
                return found

    async def scalar(self, sql: str, **params: Any) -> Any:
        return (await self.connection.execute(text(sql), params)).scalar()


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A stand-in for the values domain's ``record_computed_values``."""
    calls: list[dict[str, Any]] = []

    async def record(session: Any, *, values: Any, import_id: Any, actor: Any, **_: Any) -> int:
        calls.append({"values": values, "import_id": import_id, "actor": actor})
        return len(values)

    monkeypatch.setattr(intake, "RECORDER", record)
    return calls


def _app(
    connection: AsyncConnection, tmp_path: Path, **overrides: Any
) -> tuple[FastAPI, ImportSettings]:
    app = create_app(KpisSettings(profile="test"))
    values: dict[str, Any] = {
        "profile": "test",
        "pseudonymisation_key": SecretStr(TEST_KEY),
        "upload_dir": tmp_path / "uploads",
        "read_chunk_rows": 1000,
        "read_chunk_bytes": 64 * 1024,
    }
    settings = ImportSettings(**(values | overrides))
    app.state.import_settings = settings
    bind_app(app, connection, audience="kpis")
    return app, settings


@pytest.fixture
async def client(
    kpis_connection: AsyncConnection, tmp_path: Path, recorded: list[dict[str, Any]]
) -> AsyncIterator[ImportsApi]:
    """The imports API; the values domain's hand-over replaced by ``recorded``."""
    app, settings = _app(kpis_connection, tmp_path)
    async with client_for(app) as http:
        yield ImportsApi(app, http, kpis_connection, settings)


@pytest.fixture
async def client_with_values(
    kpis_connection: AsyncConnection, tmp_path: Path
) -> AsyncIterator[ImportsApi]:
    """The imports API handing over to the real values domain, with the seed catalogue."""
    seed = pytest.importorskip("services.kpis.seed")
    pytest.importorskip("services.kpis.values.intake")
    async with session_on(kpis_connection) as session:
        await seed.seed(session)
        await session.commit()
    app, settings = _app(kpis_connection, tmp_path, authority_code="WIRRAL")
    async with client_for(app) as http:
        yield ImportsApi(app, http, kpis_connection, settings)
