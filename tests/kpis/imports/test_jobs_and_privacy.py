"""Re-uploads, who may import, the raw file's fate and the sentinel child identifier."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import text

from services.kpis.imports.config import ImportSettings
from tests.kpis.imports.conftest import (
    ANNEX_A,
    CLIENT,
    CONTRIBUTOR,
    IMPORTER,
    POLICE,
    VIEWER,
    ImportsApi,
)
from tests.kpis.imports.helpers import csv_bytes, referral_rows

SENTINEL_CHILD = "SENTINEL-CHILD-7391"
SENTINEL_WORKER = "Zebedee Sentinelworker"


async def test_the_same_file_twice_is_applied_once(
    client: ImportsApi, recorded: list[object]
) -> None:
    files = [("Annex_A.xlsx", ANNEX_A.read_bytes())]
    first = await client.upload("annex_a", files)
    assert first.status_code == 202
    rows = await client.scalar("SELECT count(*) FROM kpis.cm_referral")
    again = await client.upload("annex_a", [("renamed.xlsx", ANNEX_A.read_bytes())])
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["duplicate"] is True
    assert again.json()["status"] == "succeeded"
    assert await client.scalar("SELECT count(*) FROM kpis.cm_referral") == rows
    assert len(recorded) == 1
    listed = await client.http.get("/v1/imports", headers=IMPORTER)
    assert listed.json()["total"] == 1


async def test_a_rejected_file_may_be_sent_again(client: ImportsApi) -> None:
    bad = [("r.csv", csv_bytes(referral_rows({"Date of Referral": "soon"})))]
    first = await client.upload("annex_a", bad)
    again = await client.upload("annex_a", bad)
    assert again.status_code == 202
    assert again.json()["id"] != first.json()["id"]


async def test_who_may_import(client: ImportsApi) -> None:
    files = [("r.csv", csv_bytes(referral_rows()))]
    assert (await client.upload("annex_a", files, headers=VIEWER)).status_code == 403
    assert (await client.upload("annex_a", files, headers=POLICE)).status_code == 403
    assert (await client.upload("annex_a", files, headers=CONTRIBUTOR)).status_code == 403
    assert (await client.upload("annex_a", files, headers={})).status_code == 401
    created = await client.upload("annex_a", files, headers=CLIENT)  # a client with kpis:import
    assert created.status_code == 202
    job_id = created.json()["id"]
    assert (await client.http.get(f"/v1/imports/{job_id}", headers=VIEWER)).status_code == 200
    # another agency cannot see it, nor its values
    assert (await client.http.get(f"/v1/imports/{job_id}", headers=POLICE)).status_code == 404
    assert (
        await client.http.get(f"/v1/imports/{job_id}/values", headers=POLICE)
    ).status_code == 404
    assert (await client.http.get("/v1/imports", headers=POLICE)).json()["total"] == 0


async def test_bad_form_names_the_field(client: ImportsApi) -> None:
    response = await client.http.post(
        "/v1/imports",
        data={"kind": "census-2099"},
        files=[("files", ("r.csv", b"x"))],
        headers=IMPORTER,
    )
    assert response.status_code == 422
    assert "census-2099" not in response.text
    assert "kind" in response.text


async def test_sentinel_child_id_is_nowhere_after_an_import(
    client: ImportsApi, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    rows = referral_rows(
        {"Child Unique ID": SENTINEL_CHILD, "Allocated Worker": SENTINEL_WORKER},
        {"Child Unique ID": SENTINEL_CHILD, "Date of Referral": "bad date"},
    )
    good = await client.upload("annex_a", [("r.csv", csv_bytes(rows))], partial=True)
    assert (await client.job(good.json()["id"]))["status"] == "succeeded"
    rejected = await client.upload("annex_a", [("r2.csv", csv_bytes(rows[1:]))])
    assert (await client.job(rejected.json()["id"]))["status"] == "rejected"

    columns = (
        await client.connection.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'kpis' AND data_type IN "
                "('text', 'character varying', 'jsonb', 'json', 'character')"
            )
        )
    ).all()
    assert any(t == "cm_referral" and c == "child" for t, c in columns)
    for table, column in columns:
        for needle in (SENTINEL_CHILD, "Sentinelworker"):
            hits = await client.scalar(
                f'SELECT count(*) FROM kpis."{table}" WHERE "{column}"::text ILIKE :needle',
                needle=f"%{needle}%",
            )
            assert hits == 0, (table, column)
    # the key is not in the database either
    for table, column in columns:
        hits = await client.scalar(
            f'SELECT count(*) FROM kpis."{table}" WHERE "{column}"::text LIKE :needle',
            needle=f"%{client.settings.pseudonymisation_key.get_secret_value()}%",
        )
        assert hits == 0
    captured = capsys.readouterr()
    logged = captured.out + captured.err + caplog.text
    assert "import.succeeded" in logged
    assert SENTINEL_CHILD not in logged
    assert "Sentinelworker" not in logged


async def test_raw_files_are_deleted_unless_kept(client: ImportsApi, tmp_path: Path) -> None:
    await client.upload("annex_a", [("r.csv", csv_bytes(referral_rows()))])
    assert not [p for p in client.settings.upload_dir.rglob("*") if p.is_file()]


def test_placeholder_key_refused_outside_local_and_test() -> None:
    with pytest.raises(ValidationError):
        ImportSettings(profile="production")
    with pytest.raises(ValidationError):
        ImportSettings(profile="staging", pseudonymisation_key=SecretStr("short-real-key"))
    ok = ImportSettings(profile="production", pseudonymisation_key=SecretStr("k" * 40))
    assert "k" * 40 not in repr(ok)


def test_the_imports_variables_are_read_once_with_the_service_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One settings object per service: ``KPIS_`` import variables reach the imports through
    ``KpisSettings`` (same names, same defaults), and the placeholder key is refused there."""
    from services.kpis.config import KpisSettings
    from services.kpis.imports.config import DEV_KEY

    defaults = KpisSettings(profile="test").import_settings()
    assert defaults.pseudonymisation_key.get_secret_value() == DEV_KEY
    assert defaults.max_upload_bytes == 2_000_000_000
    assert defaults.events_max_s == 3600.0
    monkeypatch.setenv("KPIS_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setenv("KPIS_EVENTS_MAX_S", "7")
    read = KpisSettings(profile="test").import_settings()
    assert (read.upload_dir, read.events_max_s, read.profile) == (tmp_path, 7.0, "test")
    production = KpisSettings(
        profile="production",
        database_url=SecretStr("postgresql+asyncpg://k:s3cret@h/db"),
        release_signing_key=SecretStr("k"),
    )
    with pytest.raises(ValueError, match="placeholder or empty pseudonymisation_key"):
        production.import_settings()
