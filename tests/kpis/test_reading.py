"""Series, dashboard, drill-down and the rights matrix."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.periods import Period
from services.kpis.values.intake import record_computed_values
from tests.kpis.conftest import (
    CCG_APPROVER,
    CCG_CLIENT,
    CCG_CONTRIBUTOR,
    COUNCIL_ANALYST,
    COUNCIL_APPROVER,
    COUNCIL_MANAGER,
    COUNCIL_VIEWER,
    POLICE_CLIENT,
    as_,
)
from tests.kpis.helpers import publish, submit


def _cv(code: str, unit: str, y: int, m: int, num: int, den: int) -> ComputedValue:
    p = Period.month(y, m)
    return ComputedValue(code, "month", p.start, p.end, unit, numerator=num, denominator=den)


async def _publish_council(client: httpx.AsyncClient, code: str, period: str) -> None:
    await publish(client, COUNCIL_ANALYST, COUNCIL_APPROVER, code, period)


async def test_series_with_target_rag_benchmark_travel_and_spc(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    values = [_cv("CIC_RATE", "WIRRAL", 2017, m, 700 + 10 * m, 67_700) for m in range(4, 12)]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    r = await client.get(
        "/v1/series", params={"indicator": "CIC_RATE"}, headers=as_(COUNCIL_MANAGER)
    )
    assert r.status_code == 200, r.text
    points = r.json()["points"]
    assert len(points) == 8
    assert points[0]["period"] == "2017-04"
    first = points[0]
    assert first["value"] == "109.3058"
    assert first["target"] == "100.0000"
    assert first["rag"] == "amber"
    assert first["direction"] is None
    assert points[1]["direction"] == "worsening"  # rising, lower is better
    assert all("trend" in p["spc"]["signals"] for p in points)  # eight rising points
    assert {b["comparator"] for b in r.json()["benchmarks"]} >= {"england"}
    # drafts are invisible outside the source agency
    other = await client.get(
        "/v1/series", params={"indicator": "CIC_RATE"}, headers=as_(POLICE_CLIENT)
    )
    assert other.json()["points"] == []


async def test_dashboard_shows_latest_published_with_rag_and_trend(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    values = [_cv("STEP_DOWNS", "WIRRAL", 2017, m, n, 100) for m, n in ((5, 10), (6, 20))]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    await _publish_council(client, "STEP_DOWNS", "2017-05")
    await _publish_council(client, "STEP_DOWNS", "2017-06")
    r = await client.get("/v1/dashboard", params={"theme": 5}, headers=as_(POLICE_CLIENT))
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["indicator"] == "STEP_DOWNS"]
    assert (item["period"], item["value"], item["rag"], item["trend"]) == (
        "2017-06",
        "20.0000",
        "amber",
        "improving",
    )
    assert item["approved_by"] == COUNCIL_APPROVER.subject


async def test_drill_down_rolls_up_and_hides_workers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(
        text(
            "INSERT INTO kpis.org_unit (code, level, parent_id) SELECT 'W-aaaaaaaaaaaa', 'worker', "
            "org_unit_id FROM kpis.org_unit WHERE code = 'T-MASH'"
        )
    )
    values = [
        _cv("ASSESS_45WD", "T-MASH", 2017, 5, 1, 2),
        _cv("ASSESS_45WD", "T-ASSESS-B", 2017, 5, 90, 100),
        _cv("ASSESS_45WD", "W-aaaaaaaaaaaa", 2017, 5, 1, 2),
    ]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    await _publish_council(client, "ASSESS_45WD", "2017-05")
    params = {"indicator": "ASSESS_45WD", "period": "2017-05", "org_unit": "WIRRAL-BIRKENHEAD"}
    r = await client.get("/v1/dashboard/drill-down", params=params, headers=as_(POLICE_CLIENT))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == {
        "value": "89.2157",
        "numerator": 91,
        "denominator": 102,
        "rolled_up": True,
    }
    assert [c["org_unit"] for c in body["children"]] == ["T-ASSESS-B", "T-MASH"]
    team = {**params, "org_unit": "T-MASH"}
    for who in (POLICE_CLIENT, COUNCIL_VIEWER, COUNCIL_ANALYST, CCG_APPROVER):
        r = await client.get("/v1/dashboard/drill-down", params=team, headers=as_(who))
        assert r.json()["children"] == []
        assert not r.json()["worker_level"]
    r = await client.get("/v1/dashboard/drill-down", params=team, headers=as_(COUNCIL_MANAGER))
    assert r.status_code == 400
    assert r.json()["type"].endswith("purpose-required")
    with_purpose = {**team, "purpose": "supervision of caseload quality"}
    r = await client.get(
        "/v1/dashboard/drill-down", params=with_purpose, headers=as_(COUNCIL_MANAGER)
    )
    assert r.status_code == 200
    assert r.json()["children"][0]["org_unit"] == "W-aaaaaaaaaaaa"
    event = await session.execute(
        text(
            "SELECT purpose, actor->>'subject' FROM kpis.outbox WHERE event_type = 'sensitive.read'"
        )
    )
    assert [tuple(e) for e in event.all()] == [
        ("supervision of caseload quality", COUNCIL_MANAGER.subject)
    ]


async def test_rights_matrix_unpublished_values(client: httpx.AsyncClient) -> None:
    row = {
        "indicator": "HV_6_8_WEEK",
        "period": "2017/18-Q1",
        "org_unit": "WIRRAL",
        "numerator": 1,
        "denominator": 2,
    }
    await submit(client, CCG_CLIENT, [row])

    async def seen(who: object) -> int:
        r = await client.get("/v1/values", params={"indicator": "HV_6_8_WEEK"}, headers=as_(who))  # type: ignore[arg-type]
        return int(r.json()["total"])

    assert await seen(POLICE_CLIENT) == 0  # police cannot see the CCG's unpublished values
    assert await seen(COUNCIL_VIEWER) == 0
    assert await seen(CCG_CONTRIBUTOR) == 1
    assert await seen(COUNCIL_MANAGER) == 1
    await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    assert await seen(POLICE_CLIENT) == 1
    assert await seen(COUNCIL_VIEWER) == 1


async def test_worker_values_only_for_council_managers_with_purpose(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    values = [_cv("ASSESS_45WD", "W-bbbbbbbbbbbb", 2017, 5, 1, 2)]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    await _publish_council(client, "ASSESS_45WD", "2017-05")
    params = {"indicator": "ASSESS_45WD", "org_unit": "W-bbbbbbbbbbbb"}
    for who in (POLICE_CLIENT, COUNCIL_VIEWER, COUNCIL_ANALYST):
        r = await client.get("/v1/values", params=params | {"purpose": "x"}, headers=as_(who))
        assert r.json()["total"] == 0
    r = await client.get("/v1/values", params=params, headers=as_(COUNCIL_MANAGER))
    assert r.json()["total"] == 0
    r = await client.get(
        "/v1/values", params=params | {"purpose": "  "}, headers=as_(COUNCIL_MANAGER)
    )
    assert r.status_code == 400
    r = await client.get(
        "/v1/values", params=params | {"purpose": "audit"}, headers=as_(COUNCIL_MANAGER)
    )
    assert r.json()["total"] == 1
    units = await client.get("/v1/org-units", params={"limit": 200}, headers=as_(COUNCIL_VIEWER))
    assert all(u["level"] != "worker" for u in units.json()["items"])
    series = await client.get("/v1/series", params=params, headers=as_(COUNCIL_VIEWER))
    assert series.status_code == 404


async def test_catalogue_and_reference(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/v1/indicators", params={"theme": 3, "limit": 200}, headers=as_(POLICE_CLIENT)
    )
    codes = {i["code"] for i in r.json()["items"]}
    assert {"CIC", "CIC_RATE", "CL_IN_TOUCH", "CL_EET", "CL_ACCOMMODATION"} <= codes
    bench = await client.get(
        "/v1/benchmarks", params={"indicator": "CIC_RATE"}, headers=as_(POLICE_CLIENT)
    )
    assert {(b["comparator"], b["value"]) for b in bench.json()["items"]} >= {
        ("england", "60.0000"),
        ("statistical_neighbours", "85.0000"),
    }
    targets = await client.get(
        "/v1/targets", params={"indicator": "STEP_DOWNS"}, headers=as_(POLICE_CLIENT)
    )
    assert Decimal(targets.json()["items"][0]["value"]) == 22


async def test_new_definition_version_breaks_the_series(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await record_computed_values(
        session,
        values=[_cv("STEP_DOWNS", "WIRRAL", 2017, 5, 10, 100)],
        import_id="i",
        actor=COUNCIL_ANALYST,
    )
    await session.commit()
    current = await client.get("/v1/indicators/STEP_DOWNS", headers=as_(COUNCIL_MANAGER))
    body = {
        k: current.json()[k]
        for k in (
            "name",
            "themes",
            "unit",
            "polarity",
            "frequency",
            "kind",
            "numerator_definition",
            "denominator_definition",
        )
    }
    body["definition"] = "Closures stepped down to early help or universal services."
    r = await client.post(
        "/v1/indicators/STEP_DOWNS/versions",
        json=body,
        headers=as_(COUNCIL_MANAGER) | {"If-Match": current.headers["ETag"]},
    )
    assert r.status_code == 201
    assert r.json()["version"] == 2
    await record_computed_values(
        session,
        values=[_cv("STEP_DOWNS", "WIRRAL", 2017, 6, 20, 100)],
        import_id="j",
        actor=COUNCIL_ANALYST,
    )
    await session.commit()
    s = await client.get(
        "/v1/series", params={"indicator": "STEP_DOWNS"}, headers=as_(COUNCIL_MANAGER)
    )
    points = s.json()["points"]
    assert [(p["definition_version"], p["version_break"]) for p in points] == [
        (1, False),
        (2, True),
    ]


async def test_series_rolls_up_from_children_numerators(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    values = [
        _cv("ASSESS_45WD", "T-MASH", 2017, 5, 1, 2),
        _cv("ASSESS_45WD", "T-ASSESS-B", 2017, 5, 90, 100),
        _cv("ASSESS_45WD", "T-MASH", 2017, 6, 3, 4),
    ]
    await record_computed_values(session, values=values, import_id="i", actor=COUNCIL_ANALYST)
    await session.commit()
    r = await client.get(
        "/v1/series",
        params={"indicator": "ASSESS_45WD", "org_unit": "WIRRAL-BIRKENHEAD"},
        headers=as_(COUNCIL_MANAGER),
    )
    points = [
        (p["period"], p["value"], p["numerator"], p["denominator"], p["rolled_up"])
        for p in r.json()["points"]
    ]
    assert points == [
        ("2017-05", "89.2157", 91, 102, True),
        ("2017-06", "75.0000", 3, 4, True),
    ]
