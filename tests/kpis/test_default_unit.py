"""Reads that name no org unit answer for the loaded tree's authority, whatever its code.

The default was once the literal ``"WIRRAL"``: any other authority got "no such org unit"
from its own dashboard. The tree is renamed here inside the test's rolled-back transaction.
"""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.kpis.conftest import COUNCIL_MANAGER, POLICE_CLIENT, as_


async def _rename_authority(session: AsyncSession, code: str) -> None:
    await session.execute(
        text("UPDATE kpis.org_unit SET code = :code WHERE parent_id IS NULL"), {"code": code}
    )
    await session.commit()


async def test_dashboard_and_series_default_to_the_trees_authority(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await _rename_authority(session, "SEFTON")
    r = await client.get("/v1/dashboard", headers=as_(POLICE_CLIENT))
    assert r.status_code == 200, r.text
    assert r.json()["org_unit"] == "SEFTON"
    r = await client.get(
        "/v1/series", params={"indicator": "CIC_RATE"}, headers=as_(COUNCIL_MANAGER)
    )
    assert r.status_code == 200, r.text
    assert r.json()["org_unit"] == "SEFTON"
    r = await client.get(
        "/v1/dashboard/drill-down",
        params={"indicator": "CIC_RATE", "period": "2017-05"},
        headers=as_(POLICE_CLIENT),
    )
    assert r.status_code == 200, r.text
    assert r.json()["org_unit"] == "SEFTON"
    r = await client.get(
        "/v1/values/reconciliation",
        params={"indicator": "CIC_RATE"},
        headers=as_(COUNCIL_MANAGER),
    )
    assert r.status_code == 200, r.text
    assert r.json()["org_unit"] == "SEFTON"


async def test_no_loaded_tree_names_the_missing_parameter(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    await session.execute(
        text("UPDATE kpis.org_unit SET level = 'service' WHERE parent_id IS NULL")
    )
    await session.commit()
    r = await client.get("/v1/dashboard", headers=as_(POLICE_CLIENT))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "org_unit"
    r = await client.get("/v1/dashboard", params={"org_unit": "WIRRAL"}, headers=as_(POLICE_CLIENT))
    assert r.status_code == 200, r.text
