"""Workbooks (zips) that unpack past the bounds are refused before parsing (issue 15, D5).

A 1.25 MB xlsx of highly compressible cells cost 1.4 GB of memory in the reader; 2.5 MB
cost 2.9 GB and failed the import. The files here are made in the test: a sheet part of
repeated XML, deflated to a sliver of its size.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.kpis.imports.conftest import ANNEX_A, ImportsApi, _app
from tests.support.apps import client_for

ROW = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>1</v></c></row>'
HEAD = b'<?xml version="1.0"?><worksheet><sheetData>'
TAIL = b"</sheetData></worksheet>"


def workbook(sheet_bytes: int) -> bytes:
    """An xlsx-shaped zip whose one sheet part is ``sheet_bytes`` of repeated rows."""
    sheet = HEAD + ROW * (sheet_bytes // len(ROW)) + TAIL
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", b'<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def understated(data: bytes, part: str, claimed: int) -> bytes:
    """``data`` with ``part``'s unpacked size written as ``claimed`` in both its headers."""
    raw = bytearray(data)
    name = part.encode()
    local = raw.find(b"PK\x03\x04")  # the first local header; ours is found by name
    while raw[local + 30 : local + 30 + len(name)] != name:
        local = raw.find(b"PK\x03\x04", local + 4)
    struct.pack_into("<I", raw, local + 22, claimed)
    central = raw.find(b"PK\x01\x02")
    while raw[central + 46 : central + 46 + len(name)] != name:
        central = raw.find(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", raw, central + 24, claimed)
    return bytes(raw)


async def _nothing_started(client: ImportsApi) -> None:
    assert await client.scalar("SELECT count(*) FROM kpis.import_job") == 0
    uploads = client.settings.upload_dir
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


async def test_a_compression_bomb_is_a_413_and_no_import_starts(client: ImportsApi) -> None:
    bomb = workbook(8 * 1024 * 1024)  # 8 MiB of cells
    assert len(bomb) * 100 < 8 * 1024 * 1024  # packed to under 1 % (independent check)
    response = await client.upload("annex_a", [("Annex_A.xlsx", bomb)])
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("files", "compression_ratio")
    assert "Annex_A.xlsx" not in response.text
    await _nothing_started(client)


@pytest.fixture
async def small_bound(
    kpis_connection: AsyncConnection, tmp_path: Path
) -> AsyncIterator[ImportsApi]:
    """Imports refusing workbooks that unpack to more than 1 MB (ratio bound as default)."""
    app, settings = _app(kpis_connection, tmp_path, max_unpacked_bytes=1_000_000)
    async with client_for(app) as http:
        yield ImportsApi(app, http, kpis_connection, settings)


async def test_a_workbook_unpacking_past_the_size_bound_is_a_413(small_bound: ImportsApi) -> None:
    big = workbook(1_200_000)
    with zipfile.ZipFile(io.BytesIO(big)) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 1_000_000
    response = await small_bound.upload("annex_a", [("Annex_A.xlsx", big)])
    assert response.status_code == 413, response.text
    assert response.json()["errors"][0]["code"] == "unpacked_size"
    await _nothing_started(small_bound)


async def test_headers_understating_a_part_are_caught_by_inflating_it(
    small_bound: ImportsApi,
) -> None:
    liar = understated(workbook(3_000_000), "xl/worksheets/sheet1.xml", 50_000)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:  # the directory now claims ~50 kB
        assert sum(i.file_size for i in archive.infolist()) < 1_000_000
    response = await small_bound.upload("annex_a", [("Annex_A.xlsx", liar)])
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["code"] == "inconsistent_sizes"
    await _nothing_started(small_bound)


async def test_an_ordinary_workbook_is_accepted(small_bound: ImportsApi) -> None:
    response = await small_bound.upload("annex_a", [("Annex_A.xlsx", ANNEX_A.read_bytes())])
    assert response.status_code == 202, response.text
