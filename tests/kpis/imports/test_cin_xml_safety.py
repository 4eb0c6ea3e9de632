"""A CIN census is untrusted XML: reading it never loads a DTD, resolves an entity or opens
a connection, whichever reader takes it (the columnar reader leaves any file with a
DOCTYPE to the streaming reader, whose parser has entities, DTDs and the network off)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from services.kpis.imports.cin_generator import census_bytes, children
from tests.kpis.imports.conftest import ImportsApi

YEAR = 2023

LAUGHS = "".join(
    f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' if n else '<!ENTITY l0 "ha">' for n in range(10)
)


async def _import(client: ImportsApi, body: bytes) -> dict:
    response = await client.upload("cin_census", [("census.xml", body)], partial=True)
    assert response.status_code == 202, response.text
    return await client.job(response.json()["id"])


async def test_an_external_entity_is_not_fetched(client: ImportsApi, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-LINE")
    body = census_bytes(YEAR, children(20, YEAR)).decode()
    doctype = f'<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    body = body.replace("<Message>", doctype + "<Message>", 1)
    body = body.replace("<LAchildID>LA0000003</LAchildID>", "<LAchildID>&xxe;</LAchildID>", 1)
    job = await _import(client, body.encode())
    assert "TOP-SECRET-LINE" not in json.dumps(job)
    # the child whose identifier was the entity has none: that child's issue, no more
    assert [(e["row"], e["column"], e["reason"]) for e in job["report"]["errors"]] == [
        (4, "ChildIdentifiers/LAchildID", "missing value")
    ]
    assert job["status"] == "succeeded"  # partial: the other 19 children are stored
    assert job["progress"]["rows_stored"] > 0


async def test_entities_that_multiply_are_refused_and_store_nothing(client: ImportsApi) -> None:
    body = census_bytes(YEAR, children(20, YEAR)).decode()
    body = body.replace("<Message>", f"<!DOCTYPE Message [{LAUGHS}]><Message>", 1)
    body = body.replace("<Ethnicity>WBRI</Ethnicity>", "<Ethnicity>&l9;</Ethnicity>", 1)
    started = time.perf_counter()
    job = await _import(client, body.encode())
    assert time.perf_counter() - started < 30  # ten billion "ha"s were never made
    assert job["status"] == "rejected"
    assert job["progress"]["rows_stored"] == 0
    assert "not well-formed XML" in job["report"]["errors"][0]["reason"]
    assert "haha" not in json.dumps(job)
