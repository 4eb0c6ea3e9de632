"""The re-inspection evidence pack: one archive per plan with every recommendation's chain,
a manifest of SHA-256 hashes and its signature; the offline verifier passes it whole and
fails it when any byte changes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.board.inspection import verify
from services.board.working.service import EvidenceCache
from tests.board.answers import CHECKPOINT, Answers
from tests.board.conftest import CLERK, VIEWER, as_

EXTRA: dict[str, Any] = {
    "/v1/actions/11/updates": [
        {
            "update_id": 5,
            "update_date": "2026-03-20",
            "created_at": "2026-03-20T09:00:00Z",
            "agency": "council",
            "narrative": "Triage in place",
            "percent_complete": 40,
            "declared_rag": "amber",
            "evidence": ["MASH minutes 2026-03-19"],
        }
    ],
    "/v1/releases/2b1c-release": {"release_id": "2b1c-release", "valid": True, "signature": "x"},
}


@pytest.fixture
async def archive(board_app: FastAPI, client: httpx.AsyncClient, tmp_path: Path) -> Path:
    board_app.state.evidence = EvidenceCache(Answers(EXTRA), "WIRRAL", 60)
    r = await client.post("/v1/board/inspection-packs", headers=as_(CLERK))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    path = tmp_path / "pack.zip"
    path.write_bytes(r.content)
    return path


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _rezip(entries: dict[str, bytes], path: Path) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in entries.items():
            z.writestr(name, body)
    path.write_bytes(out.getvalue())


async def test_the_archive_holds_each_recommendations_chain_and_verifies(
    archive: Path, board_connection: AsyncConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = _entries(archive)
    assert {
        "recommendations/ofsted-1.json",
        "recommendations/ofsted-10.json",
        "releases/2b1c-release.json",
        "manifest.json",
        "manifest.sig",
        "public-key.pem",
    } <= set(entries)
    front = json.loads(entries["recommendations/ofsted-1.json"])
    assert front["status"]["status"] == "working"
    assert front["actions"][0]["updates"][0]["evidence"] == ["MASH minutes 2026-03-19"]
    assert json.loads(entries["recommendations/ofsted-10.json"])["status"]["status"] == (
        "no evidence"
    )
    assert verify.problems(archive) == []
    assert verify.main([str(archive)]) == 0
    assert capsys.readouterr().out.startswith("OK ")
    made = await board_connection.scalar(
        text("SELECT count(*) FROM board.outbox WHERE event_type = 'inspection_pack.made'")
    )
    assert made == 1


async def test_the_manifest_pins_the_latest_trail_checkpoint(archive: Path) -> None:
    """Issue 16: the signed manifest names the trail checkpoint the archive was made against."""
    manifest = json.loads(_entries(archive)["manifest.json"])
    assert manifest["pins"] == {"trail_checkpoint": CHECKPOINT}
    assert verify.problems(archive) == []


async def test_a_changed_byte_fails_the_verifier(archive: Path, tmp_path: Path) -> None:
    entries = _entries(archive)
    name = "recommendations/ofsted-1.json"
    changed = dict(entries)
    body = bytearray(entries[name])
    body[body.index(b"working")] ^= 0x01  # one bit of one byte
    changed[name] = bytes(body)
    tampered = tmp_path / "tampered.zip"
    _rezip(changed, tampered)
    assert verify.problems(tampered) == [f"{name}: SHA-256 differs from the manifest"]
    assert verify.main([str(tampered)]) == 1
    # a byte changed in the archive itself
    raw = bytearray(archive.read_bytes())  # noqa: ASYNC240 (a test file)
    raw[len(raw) // 3] ^= 0xFF
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(raw))
    assert verify.problems(broken) != []
    # a manifest re-hashed to match no longer matches its signature
    manifest = json.loads(entries["manifest.json"])
    manifest["files"][name] = "0" * 64
    forged = dict(changed) | {"manifest.json": json.dumps(manifest).encode()}
    _rezip(forged, tampered)
    assert "the signature does not verify the manifest" in verify.problems(tampered)
    # an added file is not in the manifest
    _rezip(entries | {"extra.json": b"{}"}, tampered)
    assert verify.problems(tampered) == ["extra.json: not in the manifest"]


async def test_only_writers_make_it(board_app: FastAPI, client: httpx.AsyncClient) -> None:
    board_app.state.evidence = EvidenceCache(Answers(EXTRA), "WIRRAL", 60)
    r = await client.post("/v1/board/inspection-packs", headers=as_(VIEWER))
    assert r.status_code == 403
