"""Small helpers for KPI API tests."""

from __future__ import annotations

from typing import Any

import httpx

from shared.identity import Caller
from tests.kpis.conftest import as_


async def submit(
    client: httpx.AsyncClient, who: Caller, rows: list[dict[str, Any]], **options: Any
) -> httpx.Response:
    return await client.post("/v1/submissions", json={"rows": rows, **options}, headers=as_(who))


async def transition(
    client: httpx.AsyncClient,
    who: Caller,
    indicator: str,
    period: str,
    action: str,
    reason: str | None = None,
) -> httpx.Response:
    status = await client.get(
        "/v1/values/periods", params={"indicator": indicator, "period": period}, headers=as_(who)
    )
    etag = status.headers.get("ETag", '"none"')
    body: dict[str, Any] = {"indicator": indicator, "period": period, "action": action}
    if reason:
        body["reason"] = reason
    return await client.post(
        "/v1/values/transitions", json=body, headers=as_(who) | {"If-Match": etag}
    )


async def publish(
    client: httpx.AsyncClient, submitter: Caller, approver: Caller, indicator: str, period: str
) -> httpx.Response:
    r = await transition(client, submitter, indicator, period, "submit")
    assert r.status_code == 200, r.text
    r = await transition(client, approver, indicator, period, "approve")
    assert r.status_code == 200, r.text
    return r
