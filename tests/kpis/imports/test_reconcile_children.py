"""Issue 17 item 2: the child-level reconciliation. The Annex A and the SSDA903 of 2017/18
disagree on known children about who was in care on 31 March 2018; the endpoint lists them
(as pseudonyms) with each side's count, worked out here from the rows written."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from services.kpis.imports.pseudonymise import Pseudonymiser
from tests.kpis.imports.conftest import CONTRIBUTOR, IMPORTER, TEST_KEY, VIEWER, ImportsApi
from tests.kpis.imports.helpers import csv_bytes

ANNEX_HEADERS = [
    "Child Unique ID",
    "Date Started to be Looked After",
    "Date Ceased to be Looked After",
    "Child's Legal Status",
]
SSDA_HEADERS = ["CHILD", "DECOM", "RNE", "LS", "PLACE", "DEC"]
#: (child, start, end, legal status)
ANNEX = [
    ("K1", "01/05/2016", "", "C2"),
    ("K2", "10/10/2017", "", "C2"),
    ("K3", "01/06/2017", "", "C2"),  # the SSDA903 has K3 leaving care on 1 February
    ("K5", "01/09/2017", "", "V3"),  # a short break here, a care order in the SSDA903
    ("K6", "01/04/2016", "", "C2"),  # two open episodes here: counted twice
    ("K6", "01/01/2018", "", "J1"),
    ("K7", "01/04/2016", "01/03/2018", "C2"),  # left care before 31 March in both
]
SSDA = [
    ("K1", "01/05/2016", "S", "C2", "U1", ""),
    ("K2", "10/10/2017", "S", "C2", "U1", ""),
    ("K3", "01/06/2017", "S", "C2", "U1", "01/02/2018"),
    ("K4", "03/03/2018", "S", "C2", "U1", ""),  # the Annex A does not list K4
    ("K5", "01/09/2017", "S", "C2", "U1", ""),
    ("K6", "01/04/2016", "S", "C2", "U1", ""),
    ("K7", "01/04/2016", "S", "C2", "U1", "01/03/2018"),
]
PURPOSE = "checking the SSDA903 before it is sent"
MARCH = date(2018, 3, 31)


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _in_care(rows: list[tuple[str, str, str, str]]) -> Counter[str]:
    """Open episodes at the end of 31 March 2018 per child, short breaks excluded."""
    found: Counter[str] = Counter()
    for child, start, end, status in rows:
        began, ended = _day(start), _day(end)
        if status in ("V3", "V4") or began is None or began > MARCH:
            continue
        if ended is None or ended > MARCH:
            found[child] += 1
    return found


async def _imports(client: ImportsApi) -> tuple[str, str]:
    annex = csv_bytes([dict(zip(ANNEX_HEADERS, r, strict=True)) for r in ANNEX], ANNEX_HEADERS)
    ssda = csv_bytes([dict(zip(SSDA_HEADERS, r, strict=True)) for r in SSDA], SSDA_HEADERS)
    ids = []
    for kind, name, content in (("annex_a", "cla.csv", annex), ("ssda903", "episodes.csv", ssda)):
        response = await client.upload(kind, [(name, content)], collection_year=2017)
        assert response.status_code == 202, response.text
        job = await client.job(response.json()["id"])
        assert job["status"] == "succeeded", job["report"]
        ids.append(job["id"])
    return ids[0], ids[1]


async def _get(client: ImportsApi, headers: Any = IMPORTER, **params: str) -> Any:
    return await client.http.get("/v1/imports/reconciliation", params=params, headers=headers)


async def test_children_counted_by_one_source_and_not_the_other(client: ImportsApi) -> None:
    left, right = await _imports(client)
    params = {"measure": "CIC", "period": "2017-18", "left": left, "right": right}
    response = await _get(client, **params, purpose=PURPOSE)
    assert response.status_code == 200, response.text
    body = response.json()
    annex = _in_care(ANNEX)
    ssda = _in_care([(c, s, e, ls) for c, s, _rne, ls, _pl, e in SSDA])
    pseudo = Pseudonymiser(TEST_KEY)
    expected = {
        pseudo.child(child): (annex.get(child), ssda.get(child))
        for child in sorted(set(annex) | set(ssda))
        if annex.get(child) != ssda.get(child)
    }
    assert len(expected) == 4  # K3 (left only), K4 and K5 (right only), K6 (2 against 1)
    got = {row["child"]: (row["left"], row["right"]) for row in body["children"]}
    assert got == expected
    assert body["left"]["kind"] == "annex_a"
    assert body["right"]["kind"] == "ssda903"
    assert (body["left"]["children"], body["left"]["count"]) == (len(annex), annex.total())
    assert (body["right"]["children"], body["right"]["count"]) == (len(ssda), ssda.total())
    assert body["only_left"] == len(set(annex) - set(ssda)) == 1
    assert body["only_right"] == len(set(ssda) - set(annex)) == 2
    assert body["counted_differently"] == 1
    assert body["truncated"] is False
    assert body["children_shown"] is True
    # pseudonyms only: no child's identifier anywhere in the answer
    assert not any(f'"K{n}"' in response.text for n in range(1, 8))
    # the read is in the trail, with its purpose
    recorded = await client.scalar(
        "SELECT count(*) FROM kpis.outbox WHERE event_type = 'sensitive.read' "
        "AND entity_type = 'child_reconciliation' AND purpose = :p",
        p=PURPOSE,
    )
    assert recorded == 1


async def test_child_level_data_needs_the_role_and_a_purpose(client: ImportsApi) -> None:
    left, right = await _imports(client)
    params = {"measure": "CIC", "period": "2017-18", "left": left, "right": right}
    full = (await _get(client, **params, purpose=PURPOSE)).json()
    for who in (VIEWER, CONTRIBUTOR):  # the figures, not the children
        figures = await _get(client, who, **params, purpose=PURPOSE)
        assert figures.status_code == 200, figures.text
        body = figures.json()
        assert body["children"] == []
        assert body["children_shown"] is False
        assert body["only_left"] == full["only_left"] == 1
        assert body["left"] == full["left"]
    no_purpose = await _get(client, **params)
    assert no_purpose.status_code == 400
    assert no_purpose.json()["type"].endswith("purpose-required")
    for bad in ({"measure": "NOT_A_MEASURE"}, {"period": "2017-19"}, {"right": left}):
        response = await _get(client, **{**params, **bad}, purpose=PURPOSE)
        assert response.status_code == 422, response.text
        assert "NOT_A_MEASURE" not in response.text
    unknown = await _get(client, **{**params, "right": "00000000-0000-0000-0000-000000000000"})
    assert unknown.status_code == 404
    recorded = await client.scalar(
        "SELECT count(*) FROM kpis.outbox WHERE entity_type = 'child_reconciliation'"
    )
    assert recorded == 1  # the manager's read only
