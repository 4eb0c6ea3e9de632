"""Board packs: made for a meeting, signed, recorded, rendered again byte for byte, read
back from the PDF; partners see the packs of meetings they attended; no worker-level data.

The evidence is the fixed gateway answers of tests/board/answers.py plus, here, audits and
findings carrying sentinel case, team and worker codes and free text that must never
reach a pack.
"""

from __future__ import annotations

from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.board.packs import render
from services.board.working.service import EvidenceCache
from shared import signing
from tests.board.answers import ACTIONS, CHECKPOINT, Answers
from tests.board.conftest import CLERK, VIEWER, as_, meeting
from tests.support.tokens import caller

PROBATION = caller("probation", ("viewer",), subject="po")
SENTINELS = ("CASE-SENTINEL-77", "TEAM-SENTINEL", "WORKER-SENTINEL-9", "Ms Sentinel Owner")

EXTRA: dict[str, Any] = {
    "/v1/actions": [
        ACTIONS[0] | {"last_update_at": "2026-03-20T12:00:00Z", "percent_complete": 40},
        ACTIONS[1] | {"last_update_at": "2026-01-10T12:00:00Z", "percent_complete": 100},
    ],
    "/v1/actions/11/updates": [
        {
            "update_id": 1,
            "update_date": "2026-02-01",
            "created_at": "2026-02-01T09:00:00Z",
            "declared_rag": "red",
            "percent_complete": 10,
        },
        {
            "update_id": 2,
            "update_date": "2026-03-20",
            "created_at": "2026-03-20T09:00:00Z",
            "declared_rag": "amber",
            "percent_complete": 40,
        },
    ],
    "/v1/actions/12/updates": [],
    "/v1/audit-programmes": [
        {
            "programme_id": 7,
            "lead_agency": "council",
            "participating_agencies": ["council", "police"],
        }
    ],
    "/v1/audit-programmes/7/criteria": [{"programme_id": 7, "criterion_code": "1A"}],
    "/v1/audits": [
        {
            "audit_id": 100 + i,
            "programme_id": 7,
            "audit_date": f"2026-0{1 + i}-05",
            "status": "closed",
            "final_grade": grade,
            "closed_at": f"2026-0{1 + i}-20T10:00:00Z",
            "case_ref": SENTINELS[0],
            "team_code": SENTINELS[1],
            "worker_code": SENTINELS[2],
            "lead_agency": "council",
        }
        for i, grade in enumerate(["requires_improvement", "good", "good", "outstanding"])
    ],
    "/v1/findings": [
        {
            "finding_id": 900,
            "audit_id": 103,
            "severity": "high",
            "description": SENTINELS[3] + " said",
            "owner": SENTINELS[3],
            "agency": "police",
            "due_date": "2026-03-01",
            "status": "closed",
            "closed_at": "2026-03-30T09:00:00Z",
            "is_overdue": False,
            "recheck_outcome": "effective",
        }
    ],
    "/v1/risks": [
        {
            "risk_id": 3,
            "plan_id": 1,
            "risk": "Front door demand",
            "score_before": 16,
            "score_after": 9,
            "status": "open",
            "updated_at": "2026-03-25T08:00:00Z",
        },
        {
            "risk_id": 4,
            "plan_id": 1,
            "risk": "Unchanged risk",
            "score_before": 4,
            "score_after": 2,
            "status": "open",
            "updated_at": "2026-01-02T08:00:00Z",
        },
    ],
}


def _pdf_text(body: bytes) -> tuple[int, str]:
    doc = pdfium.PdfDocument(body)
    pages = len(doc)
    return pages, "\n".join(doc[i].get_textpage().get_text_range() for i in range(pages))


@pytest.fixture
def wired(board_app: FastAPI) -> Answers:
    answers = Answers(EXTRA)
    board_app.state.evidence = EvidenceCache(answers, "WIRRAL", 60)
    return answers


async def _two_meetings(client: httpx.AsyncClient) -> tuple[int, int]:
    first = await client.post(
        "/v1/meetings", json=meeting(meeting_date="2026-03-10"), headers=as_(CLERK)
    )
    second = await client.post(
        "/v1/meetings",
        json=meeting(meeting_date="2026-04-14", title="Improvement Board, April"),
        headers=as_(CLERK),
    )
    assert first.status_code == second.status_code == 201, second.text
    return first.json()["meeting_id"], second.json()["meeting_id"]


async def _pack(client: httpx.AsyncClient, meeting_id: int) -> dict[str, Any]:
    r = await client.post(f"/v1/meetings/{meeting_id}/packs", headers=as_(CLERK))
    assert r.status_code == 201, r.text
    return r.json()


async def test_the_pack_names_what_changed_since_the_previous_meeting(
    wired: Answers, client: httpx.AsyncClient
) -> None:
    previous, current = await _two_meetings(client)
    pack = await _pack(client, current)
    doc = pack["document"]
    assert doc["previous_meeting"]["meeting_id"] == previous
    assert doc["since"] == "2026-03-10T23:59:59.999999+00:00"  # no pack of the previous one
    assert doc["since_from"] == "the end of the previous meeting's day"
    changes = doc["changes"]
    # 1A1: last update on or before 10 March was red, 10%; now amber, 40% (the 20 March one)
    assert [(a["ref"], a["moved"], a["rag_before"], a["rag_now"]) for a in changes["actions"]] == [
        ("1A1", ["rag", "progress"], "red", "amber")
    ]
    # approved 2 Nov and 2 Dec 2026: both after 10 March
    assert changes["indicators"][0]["new_releases"] == ["1a0c-release", "2b1c-release"]
    # closed 20 Mar and 20 Apr (audits 102, 103); 20 Jan and 20 Feb were before
    assert [a["audit_id"] for a in changes["audits_completed"]] == [102, 103]
    assert [f["finding_id"] for f in changes["findings_closed"]] == [900]
    assert [r["risk_id"] for r in changes["risks"]] == [3]
    assert doc["pins"]["releases"] == {"CONTACTS": "2b1c-release"}
    statuses = {c["code"]: c["status"] for c in doc["criteria"]}
    assert statuses == {"1A": "working", "1B": "no evidence"}


async def test_signed_verified_recorded_and_byte_identical_from_its_pins(
    wired: Answers, client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    _, current = await _two_meetings(client)
    pack = await _pack(client, current)
    assert pack["verified"] is True
    assert pack["digest"] == signing.digest(pack["document"]) == pack["manifest"]["digest"]
    assert signing.verify_with_public_key(pack["public_key"], pack["manifest"], pack["signature"])
    base = f"/v1/meetings/{current}/packs/{pack['pack_id']}"
    pdf1 = (await client.get(f"{base}/pdf", headers=as_(CLERK))).content
    pdf2 = (await client.get(f"{base}/pdf", headers=as_(CLERK))).content
    html1 = (await client.get(f"{base}/html", headers=as_(CLERK))).content
    html2 = (await client.get(f"{base}/html", headers=as_(CLERK))).content
    assert pdf1 == pdf2 == render.pdf(pack["document"])
    assert html1 == html2 == render.html(pack["document"])
    events = await board_connection.execute(
        text("SELECT entity_id, payload FROM board.outbox WHERE event_type = 'pack.created'")
    )
    rows = events.all()
    assert [r[0] for r in rows] == [pack["pack_id"]]
    assert rows[0][1]["digest"] == pack["digest"]
    # a changed byte of the stored document no longer verifies
    await board_connection.execute(
        text(
            "UPDATE board.pack SET document = jsonb_set(document, '{meeting,title}', "
            "'\"Improvement Board, April!\"') WHERE pack_id = :p"
        ),
        {"p": pack["pack_id"]},
    )
    again = await client.get(base, headers=as_(CLERK))
    assert again.json()["verified"] is False


async def test_the_pack_pins_the_latest_trail_checkpoint(
    wired: Answers, client: httpx.AsyncClient, board_app: FastAPI
) -> None:
    """Issue 16: the pack and its signed manifest name the checkpoint it was made against;
    the board asks the trail only for that checkpoint, never its events."""
    _, current = await _two_meetings(client)
    pack = await _pack(client, current)
    assert pack["document"]["pins"]["trail_checkpoint"] == CHECKPOINT
    assert pack["manifest"]["pins"]["trail_checkpoint"] == CHECKPOINT
    assert signing.verify_with_public_key(pack["public_key"], pack["manifest"], pack["signature"])
    trail = {path for path, _ in wired.asked if path.startswith("/v1/trail")}
    assert trail == {"/v1/trail/checkpoints/latest"}
    # regenerated from its pins: the same bytes
    base = f"/v1/meetings/{current}/packs/{pack['pack_id']}"
    html = (await client.get(f"{base}/html", headers=as_(CLERK))).content
    assert html == render.html(pack["document"])
    # before the trail's first checkpoint the pin is null, and says so
    board_app.state.evidence = EvidenceCache(
        Answers(EXTRA | {"/v1/trail/checkpoints/latest": {"checkpoint": None}}), "WIRRAL", 60
    )
    assert (await _pack(client, current))["document"]["pins"]["trail_checkpoint"] is None


async def test_the_pdf_reads_back_pages_criteria_and_chart_points(
    wired: Answers, client: httpx.AsyncClient
) -> None:
    _, current = await _two_meetings(client)
    pack = await _pack(client, current)
    r = await client.get(f"/v1/meetings/{current}/packs/{pack['pack_id']}/pdf", headers=as_(CLERK))
    assert r.headers["content-type"] == "application/pdf"
    pages, body = _pdf_text(r.content)
    assert pages >= 2
    for c in pack["document"]["criteria"]:
        assert f"{c['code']}: {c['text']}" in body
    chart = pack["document"]["charts"][0]
    assert [p["value"] for p in chart["points"]] == ["70", "85"]  # published only
    chart_page = body[body.index("Key indicators (SPC)") :]
    for p in chart["points"]:
        assert p["value"] in chart_page
    assert "target" in chart_page
    assert "CONTACTS: Contacts" in chart_page


async def test_a_kept_pack_is_the_fresh_render_and_a_changed_document_is_rendered_again(
    wired: Answers, client: httpx.AsyncClient, board_connection: AsyncConnection
) -> None:
    """Packs read again are answered from the ones kept per process (issue 16, the pack
    under 5 s): the same bytes as a fresh render, and never a stale one once the stored
    document changed."""
    _, current = await _two_meetings(client)
    pack = await _pack(client, current)
    base = f"/v1/meetings/{current}/packs/{pack['pack_id']}"
    render.forget()
    first = (await client.get(f"{base}/pdf", headers=as_(CLERK))).content
    kept = (await client.get(f"{base}/pdf", headers=as_(CLERK))).content
    render.forget()
    assert first == kept == render.pdf(pack["document"])
    await board_connection.execute(
        text(
            "UPDATE board.pack SET document = jsonb_set(document, '{meeting,title}', "
            "'\"Board retitled after signing\"') WHERE pack_id = :p"
        ),
        {"p": pack["pack_id"]},
    )
    changed = (await client.get(base, headers=as_(CLERK))).json()["document"]
    assert changed["meeting"]["title"] == "Board retitled after signing"
    again = (await client.get(f"{base}/pdf", headers=as_(CLERK))).content
    assert again != first
    assert again == render.pdf(changed)
    assert "Board retitled after signing" in _pdf_text(again)[1]
    html = (await client.get(f"{base}/html", headers=as_(CLERK))).content
    assert html == render.html(changed)


async def test_worker_level_data_never_appears_in_a_pack(
    wired: Answers, client: httpx.AsyncClient
) -> None:
    _, current = await _two_meetings(client)
    pack = await _pack(client, current)
    base = f"/v1/meetings/{current}/packs/{pack['pack_id']}"
    html = (await client.get(f"{base}/html", headers=as_(CLERK))).text
    _, pdf = _pdf_text((await client.get(f"{base}/pdf", headers=as_(CLERK))).content)
    stored = str(pack["document"])
    for sentinel in SENTINELS:
        assert sentinel not in html
        assert sentinel not in pdf
        assert sentinel not in stored
    # series are read at the authority only, never a team or worker
    assert {p.get("org_unit") for path, p in wired.asked if path == "/v1/series"} == {"WIRRAL"}


async def test_partners_see_packs_of_meetings_they_attended(
    wired: Answers, client: httpx.AsyncClient
) -> None:
    _, current = await _two_meetings(client)  # attended by council and police
    pack = await _pack(client, current)
    base = f"/v1/meetings/{current}/packs/{pack['pack_id']}"
    assert (await client.get(base, headers=as_(VIEWER))).status_code == 200  # police
    assert (await client.get(f"{base}/pdf", headers=as_(PROBATION))).status_code == 404
    listed = await client.get(f"/v1/meetings/{current}/packs", headers=as_(PROBATION))
    assert (listed.json()["items"], listed.json()["total"]) == ([], 0)
    refused = await client.post(f"/v1/meetings/{current}/packs", headers=as_(VIEWER))
    assert refused.status_code == 403
