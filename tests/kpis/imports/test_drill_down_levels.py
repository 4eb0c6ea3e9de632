"""Drill-down that reaches the worker (issue 14 item 6): imported workers sit under their
team, and every level (authority → service → locality → team → worker) equals a sum of the
numerators and denominators of the rows below it, worked out here from the rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.kpis.imports.conftest import IMPORTER, VIEWER, ImportsApi
from tests.kpis.imports.helpers import csv_bytes

HEADERS = [
    "Child Unique ID",
    "Continuous Assessment Start Date",
    "Continuous Assessment Date of Authorisation",
    "Allocated Team",
    "Allocated Worker",
]
ON_TIME = ("02/05/2017", "02/05/2017")  # 0 working days
LATE = ("03/01/2017", "15/05/2017")  # well over 45 working days
#: (team, worker, timing): T-MASH and T-ASSESS-B sit under the Birkenhead locality of the
#: children's social care service in the seed tree
ROWS = [
    ("T-MASH", "Ann Example", ON_TIME),
    ("T-MASH", "Ann Example", ON_TIME),
    ("T-MASH", "Ann Example", LATE),
    ("T-MASH", "Bob Example", ON_TIME),
    ("T-MASH", "Bob Example", LATE),
    ("T-ASSESS-B", "Cat Example", ON_TIME),
    ("T-ASSESS-B", "Cat Example", ON_TIME),
    ("T-ASSESS-B", "Cat Example", ON_TIME),
    ("T-ASSESS-B", "Cat Example", LATE),
    ("T-ASSESS-B", "", LATE),  # a team, no worker
    ("", "", ON_TIME),  # neither: the authority's only
]
PARAMS = {"indicator": "ASSESS_45WD", "period": "2017-05"}
PURPOSE = "caseload supervision"


def _upload() -> bytes:
    rows = [
        {
            "Child Unique ID": f"K{n}",
            "Continuous Assessment Start Date": timing[0],
            "Continuous Assessment Date of Authorisation": timing[1],
            "Allocated Team": team,
            "Allocated Worker": worker,
        }
        for n, (team, worker, timing) in enumerate(ROWS)
    ]
    return csv_bytes(rows, HEADERS)


def _sum(rows: list[tuple[str, str, tuple[str, str]]]) -> tuple[int, int]:
    """(on time, all): numerator and denominator by counting the rows."""
    return sum(timing == ON_TIME for _, _, timing in rows), len(rows)


async def _drill(client: ImportsApi, unit: str, **extra: str) -> dict[str, Any]:
    r = await client.http.get(
        "/v1/dashboard/drill-down", params={**PARAMS, "org_unit": unit, **extra}, headers=IMPORTER
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _pair(figure: dict[str, Any]) -> tuple[int, int]:
    return figure["numerator"], figure["denominator"]


async def test_every_level_sums_the_rows_below_and_reaches_the_worker(
    client_with_values: ImportsApi,
) -> None:
    client = client_with_values
    response = await client.upload("annex_a", [("assessments.csv", _upload())])
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]
    birkenhead = [r for r in ROWS if r[0] in ("T-MASH", "T-ASSESS-B")]
    by_team: dict[str, list[Any]] = defaultdict(list)
    by_worker: dict[str, list[Any]] = defaultdict(list)
    for row in ROWS:
        if row[0]:
            by_team[row[0]].append(row)
        if row[1]:
            by_worker[row[1]].append(row)

    authority = await _drill(client, "WIRRAL")
    assert _pair(authority["total"]) == _sum(ROWS) == (7, 11)
    service = {c["org_unit"]: c for c in authority["children"]}["WIRRAL-CSC"]
    assert _pair(service) == _sum(birkenhead) == (6, 10)
    assert service["rolled_up"] is True
    csc = await _drill(client, "WIRRAL-CSC")
    assert _pair(csc["total"]) == _sum(birkenhead)
    locality = {c["org_unit"]: c for c in csc["children"]}["WIRRAL-BIRKENHEAD"]
    assert _pair(locality) == _sum(birkenhead)
    teams = await _drill(client, "WIRRAL-BIRKENHEAD")
    assert _pair(teams["total"]) == _sum(birkenhead)
    assert {c["org_unit"]: _pair(c) for c in teams["children"]} == {
        team: _sum(rows) for team, rows in by_team.items()
    }

    # team → worker: the workers sit under their team; their figures are their rows'
    for team, names in (
        ("T-MASH", ("Ann Example", "Bob Example")),
        ("T-ASSESS-B", ("Cat Example",)),
    ):
        drill = await _drill(client, team, purpose=PURPOSE)
        assert drill["worker_level"] is True
        workers = drill["children"]
        assert [c["level"] for c in workers] == ["worker"] * len(names)
        assert all(c["org_unit"].startswith("W-") for c in workers)
        assert sorted(_pair(c) for c in workers) == sorted(_sum(by_worker[n]) for n in names)
        assert _pair(drill["total"]) == _sum(by_team[team])
    under_authority = await client.scalar(
        "SELECT count(*) FROM kpis.org_unit w JOIN kpis.org_unit p ON p.org_unit_id = w.parent_id "
        "WHERE w.level = 'worker' AND p.level = 'authority'"
    )
    assert under_authority == 0


async def test_worker_rows_keep_their_restrictions(client_with_values: ImportsApi) -> None:
    client = client_with_values
    await client.upload("annex_a", [("assessments.csv", _upload())])
    team = {**PARAMS, "org_unit": "T-MASH"}
    r = await client.http.get("/v1/dashboard/drill-down", params=team, headers=IMPORTER)
    assert r.status_code == 400  # a manager must state a purpose
    r = await client.http.get("/v1/dashboard/drill-down", params=team, headers=VIEWER)
    assert r.status_code == 200
    assert r.json()["children"] == []
    assert r.json()["worker_level"] is False
    await _drill(client, "T-MASH", purpose=PURPOSE)
    reads = await client.scalar(
        "SELECT count(*) FROM kpis.outbox WHERE event_type = 'sensitive.read' AND purpose = :p",
        p=PURPOSE,
    )
    assert reads == 1
