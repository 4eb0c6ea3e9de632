"""Signed releases: verified on read, and failing when a published value is altered."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.kpis.conftest import CCG_APPROVER, CCG_CONTRIBUTOR, POLICE_CLIENT, as_
from tests.kpis.helpers import publish, submit

ROWS = [
    {
        "indicator": "HV_6_8_WEEK",
        "period": "2017/18-Q1",
        "org_unit": "WIRRAL",
        "numerator": 163,
        "denominator": 200,
    },
    {
        "indicator": "HV_6_8_WEEK",
        "period": "2017/18-Q1",
        "org_unit": "WIRRAL-CSC",
        "numerator": 50,
        "denominator": 60,
    },
]


async def test_release_verifies_and_detects_an_altered_value(
    client: httpx.AsyncClient, kpis_connection: AsyncConnection
) -> None:
    await submit(client, CCG_CONTRIBUTOR, ROWS)
    release_id = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]
    keys = (await client.get("/v1/releases/keys", headers=as_(POLICE_CLIENT))).json()
    assert "BEGIN PUBLIC KEY" in keys["keys"][0]["public_key"]
    good = (await client.get(f"/v1/releases/{release_id}", headers=as_(POLICE_CLIENT))).json()
    assert good["valid"]
    assert good["signature_valid"]
    assert good["value_count"] == 2
    assert good["manifest"]["key_id"] == keys["keys"][0]["key_id"]
    # someone with database rights changes one published figure behind the service's back
    await kpis_connection.execute(
        text("UPDATE kpis.indicator_value SET numerator = 170, value = 85 WHERE numerator = 163")
    )
    bad = (await client.get(f"/v1/releases/{release_id}", headers=as_(POLICE_CLIENT))).json()
    assert bad["signature_valid"]
    assert not bad["values_match"]
    assert not bad["valid"]
    assert bad["mismatches"] == [{"org_unit": "WIRRAL", "problem": "value altered"}]


async def test_a_tampered_manifest_fails_the_signature(
    client: httpx.AsyncClient, kpis_connection: AsyncConnection
) -> None:
    await submit(client, CCG_CONTRIBUTOR, ROWS)
    release_id = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]
    await kpis_connection.execute(
        text("UPDATE kpis.release SET manifest = jsonb_set(manifest, '{period}', '\"2018/19-Q1\"')")
    )
    bad = (await client.get(f"/v1/releases/{release_id}", headers=as_(POLICE_CLIENT))).json()
    assert not bad["signature_valid"]
    assert not bad["valid"]


async def test_export_carries_the_release_id(client: httpx.AsyncClient) -> None:
    await submit(client, CCG_CONTRIBUTOR, ROWS)
    release_id = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]
    r = await client.get(
        "/v1/values/export.csv", params={"indicator": "HV_6_8_WEEK"}, headers=as_(POLICE_CLIENT)
    )
    assert r.headers["content-type"].startswith("text/csv")
    lines = r.text.strip().splitlines()
    assert lines[0].endswith("release_id")
    assert len(lines) == 3
    assert all(line.endswith(release_id) for line in lines[1:])


async def test_a_release_lists_no_worker_values_and_says_how_many_it_left_out(
    client: httpx.AsyncClient, kpis_connection: AsyncConnection
) -> None:
    """A release is read by every partner; a digest of a worker's small whole-number figure
    could be reversed by guessing, so worker values are never listed (issue 15, Z5)."""
    await kpis_connection.execute(
        text(
            "INSERT INTO kpis.org_unit (code, level, parent_id, name) SELECT 'W-REL-1', "
            "'worker', org_unit_id, 'a worker' FROM kpis.org_unit WHERE code = 'WIRRAL-CSC'"
        )
    )
    await submit(client, CCG_CONTRIBUTOR, ROWS)
    worker = {**ROWS[1], "org_unit": "W-REL-1", "numerator": 3, "denominator": 4}
    await kpis_connection.execute(
        text(
            "INSERT INTO kpis.indicator_value (indicator_id, org_unit_id, period_type, "
            "period_start, period_end, revision, is_current, state, value, numerator, "
            "denominator, source, source_agency, created_by) SELECT v.indicator_id, "
            "w.org_unit_id, v.period_type, v.period_start, v.period_end, 1, true, v.state, 75, "
            ":num, :den, v.source, v.source_agency, v.created_by FROM kpis.indicator_value v, "
            "kpis.org_unit w JOIN kpis.org_unit c ON c.org_unit_id = w.parent_id "
            "WHERE w.code = 'W-REL-1' AND v.org_unit_id = c.org_unit_id AND v.is_current"
        ),
        {"num": worker["numerator"], "den": worker["denominator"]},
    )
    release_id = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]
    got = (await client.get(f"/v1/releases/{release_id}", headers=as_(POLICE_CLIENT))).json()
    assert got["valid"]
    listed = {item["org_unit"] for item in got["manifest"]["values"]}
    assert listed == {"WIRRAL", "WIRRAL-CSC"}
    assert got["value_count"] == 2
    assert got["manifest"]["worker_values_not_listed"] == 1


async def test_published_releases_list_newest_first_filtered_by_period_and_agency(
    client: httpx.AsyncClient,
) -> None:
    """Issue 18 item 2: ``GET /v1/releases``, a page, newest first; a reopened and republished
    period shows both releases, only the later one current."""
    from tests.kpis.helpers import transition

    q2 = [{**r, "period": "2017/18-Q2"} for r in ROWS]
    await submit(client, CCG_CONTRIBUTOR, ROWS + q2)
    first = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]
    second = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q2")
    ).json()["release_id"]
    reopened = await transition(
        client, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1", "reopen", reason="late data"
    )
    assert reopened.status_code == 200, reopened.text
    third = (
        await publish(client, CCG_CONTRIBUTOR, CCG_APPROVER, "HV_6_8_WEEK", "2017/18-Q1")
    ).json()["release_id"]

    listed = await client.get("/v1/releases", headers=as_(POLICE_CLIENT))
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert set(page) == {"items", "total", "limit", "offset"}
    mine = [r for r in page["items"] if r["release_id"] in {first, second, third}]
    assert [r["release_id"] for r in mine] == [third, second, first]  # newest first
    by_id = {r["release_id"]: r for r in mine}
    assert by_id[third]["is_current"]
    assert by_id[second]["is_current"]
    assert not by_id[first]["is_current"]  # its period was reopened and published again
    assert by_id[first]["value_count"] == len(ROWS)
    assert by_id[first]["source_agency"] == "ccg"
    assert by_id[first]["period"] == "2017/18-Q1"

    q1 = await client.get(
        "/v1/releases", params={"period": "2017/18-Q1", "agency": "ccg"}, headers=as_(POLICE_CLIENT)
    )
    assert [r["release_id"] for r in q1.json()["items"]] == [third, first]
    assert q1.json()["total"] == 2
    none = await client.get("/v1/releases", params={"agency": "police"}, headers=as_(POLICE_CLIENT))
    assert none.json()["items"] == []
    assert none.json()["total"] == 0
    paged = await client.get(
        "/v1/releases",
        params={"period": "2017/18-Q1", "limit": 1, "offset": 1},
        headers=as_(POLICE_CLIENT),
    )
    assert [r["release_id"] for r in paged.json()["items"]] == [first]
    bad = await client.get("/v1/releases", params={"period": "Q5"}, headers=as_(POLICE_CLIENT))
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["period"]
