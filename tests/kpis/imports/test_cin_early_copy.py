"""The CIN census's rows copied while the file is still read (``cin_early``): what is
stored is what the children hold, once, when the reading ran to the end, when a repeated
child must be left out of a partial import, and when the columnar reader handed the file
to the streaming reader after blocks had been copied. Blocks are made small here so a
few hundred children make many of them."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import date
from typing import Any

import polars as pl
import pytest

from services.kpis.imports import cin_early, cin_fast
from services.kpis.imports.cin_generator import Child, Details, census_bytes, children
from tests.kpis.imports.conftest import ImportsApi

YEAR = 2023


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cin_fast, "BLOCK_BYTES", 16 * 1024)
    monkeypatch.setattr(cin_early, "WAITING", 2)  # the reading waits for the copies
    monkeypatch.setattr(cin_early, "COPY_ROWS", 40)


def _rows(kids: list[Child]) -> dict[str, int]:
    """Rows per table, counted from the children themselves."""
    details = [d for k in kids for d in k.details]
    return {
        "cm_referral": len(details),
        "cm_cin_episode": sum(1 for d in details if not d.nfa),
        "cm_assessment": sum(len(d.assessments) for d in details),
        "cm_s47": sum(len(d.section47) for d in details),
        "cm_cp_plan": sum(len(d.plans) for d in details),
    }


async def _import(client: ImportsApi, body: bytes, **form: Any) -> dict[str, Any]:
    response = await client.upload("cin_census", [("census.xml", body)], **form)
    assert response.status_code == 202, response.text
    return await client.job(response.json()["id"])


async def _stored(client: ImportsApi, job_id: str) -> dict[str, int]:
    return {
        table: await client.scalar(
            f"SELECT count(*) FROM kpis.{table} WHERE import_id = CAST(:id AS uuid)", id=job_id
        )
        for table in ("cm_referral", "cm_cin_episode", "cm_assessment", "cm_s47", "cm_cp_plan")
    }


async def test_rows_copied_while_reading_are_the_rows_of_the_file(client: ImportsApi) -> None:
    kids = list(children(400, YEAR, seed=5))
    body = census_bytes(YEAR, kids)
    assert len(body) > 10 * cin_fast.BLOCK_BYTES
    job = await _import(client, body)
    assert job["status"] == "succeeded"
    assert await _stored(client, job["id"]) == _rows(kids)
    assert job["report"]["lists"]["referral"] == _rows(kids)["cm_referral"]


async def test_a_repeated_child_is_left_out_of_a_partial_import(client: ImportsApi) -> None:
    kids = list(children(300, YEAR, seed=6))
    again = Child(kids[3].id, [Details(date(2023, 8, 1)), Details(date(2023, 9, 1))])
    job = await _import(client, census_bytes(YEAR, [*kids, again]), partial=True)
    assert job["status"] == "succeeded"
    assert [(e["row"], e["reason"]) for e in job["report"]["errors"]] == [
        (301, "LAchildID repeats the child at position 4")
    ]
    assert await _stored(client, job["id"]) == _rows(kids)


async def test_blocks_copied_before_the_file_was_streamed_are_taken_back(
    client: ImportsApi,
) -> None:
    kids = list(children(300, YEAR, seed=7))
    body = census_bytes(YEAR, kids)
    last = body.rindex(b"<Child>")
    body = body[:last] + b"<!-- checked by hand -->" + body[last:]  # columns: not simple
    job = await _import(client, body)
    assert job["status"] == "succeeded"
    assert await _stored(client, job["id"]) == _rows(kids)


async def test_a_cancelled_import_lets_its_reading_thread_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An import cancelled while its reading thread waits for room (the copies being slow)
    must not leave that thread waiting for ever: it is let go and offers nothing more."""

    async def slow(self: cin_early.EarlyCopy, name: str, frame: pl.DataFrame) -> None:
        await asyncio.sleep(60)

    monkeypatch.setattr(cin_early, "WAITING", 1)
    monkeypatch.setattr(cin_early.EarlyCopy, "_add", slow)
    early = cin_early.EarlyCopy(None, uuid.uuid4())  # type: ignore[arg-type]
    two, finished = threading.Event(), threading.Event()

    def reading() -> None:
        for n in range(20):
            early.offer("referral", pl.DataFrame({"pos": [n]}))
            if n == 1:
                two.set()  # one taken and being "copied", one waiting: the third waits
        finished.set()

    copying = asyncio.ensure_future(early.alongside(asyncio.to_thread(reading)))
    assert await asyncio.to_thread(two.wait, 10)
    await asyncio.sleep(0.1)
    assert not finished.is_set()
    copying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await copying
    assert await asyncio.to_thread(finished.wait, 10)
    assert early.spoiled
