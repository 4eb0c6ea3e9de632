"""Uploads in read-only pods (issue 22, item 2): the pods mount no writable temporary folder
by default, and the multipart parser spools every file over 1 MB to a temporary file while
it reads the request. The kpis service, started through its real lifespan, must take a
large upload with the system's temporary folder unusable.

Tests run as root here, where a read-only folder's mode bits stop nothing, so the unusable
temporary folder is a path under which nothing can be created (a regular file): every
temporary file there fails with an ``OSError``, as on a read-only root filesystem."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from services.kpis.config import KpisSettings
from services.kpis.imports.config import ImportSettings
from services.kpis.main import create_app
from shared.identity import InternalTokenVerifier
from tests.kpis.imports.conftest import IMPORTER, TEST_KEY
from tests.support.apps import client_for
from tests.support.database import ThrowawayDatabase, fresh_database
from tests.support.tokens import ISSUER, internal_keys

SPOOL_THRESHOLD = 1024 * 1024  # Starlette's: parts larger than this go to a temporary file


@pytest.fixture(scope="module")
def kpis_db(pg_server: str) -> ThrowawayDatabase:
    return fresh_database(pg_server, label="tmpdir")


def _large_csv() -> bytes:
    header = b"Child Unique ID,Referral Date,Referral Source\n"
    rows = b"".join(b"C%07d,01/05/2017,1A\n" % i for i in range(80_000))
    body = header + rows
    assert len(body) > SPOOL_THRESHOLD * 3 // 2
    return body


async def test_a_large_upload_needs_no_system_temp_folder(
    kpis_db: ThrowawayDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recorded: list[dict[str, Any]],
) -> None:
    unusable = tmp_path / "read-only-tmp"
    unusable.write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(unusable))
    with pytest.raises(OSError), tempfile.TemporaryFile():  # the reproduction: none can be made
        pass

    uploads = tmp_path / "uploads"  # writable, like the pod's upload emptyDir
    imports = ImportSettings(
        profile="test", pseudonymisation_key=SecretStr(TEST_KEY), upload_dir=uploads
    )
    settings = KpisSettings(profile="test", database_url=SecretStr(kpis_db.service_url("kpis")))
    app = create_app(settings, imports)
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="kpis")
    async with app.router.lifespan_context(app), client_for(app) as http:
        response = await http.post(
            "/v1/imports",
            data={"kind": "annex_a"},
            files=[("files", ("List 3.csv", _large_csv()))],
            headers=IMPORTER,
        )
        temp_while_running = Path(tempfile.gettempdir())
    assert response.status_code in (200, 202), response.text
    # while the service runs, its temporary files go beside its uploads
    assert temp_while_running.is_relative_to(uploads.resolve())
    assert tempfile.tempdir == str(unusable)  # given back when the service stopped
