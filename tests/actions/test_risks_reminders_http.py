"""The risk register and the reminders endpoints over HTTP."""

from __future__ import annotations

import httpx

from tests.actions.conftest import manager, who


async def test_risk_register(client: httpx.AsyncClient, plan_id: int) -> None:
    body = {
        "plan_id": plan_id,
        "risk": "Agency staff leave before permanent recruitment lands",
        "cause": "Market shortage of social workers",
        "consequence": "Children change social worker again",
        "likelihood_before": 4,
        "impact_before": 5,
        "likelihood_after": 3,
        "impact_after": 4,
        "mitigating_action_refs": ["4F1", "4F4"],
        "review_date": "2017-12-01",
    }
    assert (
        await client.post("/v1/risks", json=body, headers=who("police", "plan_manager"))
    ).status_code == 403
    bad = await client.post("/v1/risks", json=body | {"impact_after": 6}, headers=manager())
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "impact_after"
    unknown = await client.post(
        "/v1/risks", json=body | {"mitigating_action_refs": ["9Z9"]}, headers=manager()
    )
    assert unknown.status_code == 422
    r = await client.post("/v1/risks", json=body, headers=manager())
    assert r.status_code == 201, r.text
    risk = r.json()
    assert (risk["score_before"], risk["score_after"]) == (20, 12)
    url = f"/v1/risks/{risk['risk_id']}"
    assert (
        await client.patch(url, json={"status": "mitigated"}, headers=manager())
    ).status_code == 428
    ok = await client.patch(
        url, json={"status": "mitigated"}, headers=manager() | {"If-Match": r.headers["ETag"]}
    )
    assert ok.status_code == 200
    stale = await client.patch(
        url, json={"status": "closed"}, headers=manager() | {"If-Match": r.headers["ETag"]}
    )
    assert stale.status_code == 412
    listed = await client.get(
        "/v1/risks", params={"plan_id": plan_id}, headers=who("ccg", "viewer")
    )
    assert [x["status"] for x in listed.json()] == ["mitigated"]


async def test_reminders_run_and_read(client: httpx.AsyncClient) -> None:
    assert (
        await client.post("/v1/reminders/run", headers=who("council", "contributor"))
    ).status_code == 403
    run = await client.post("/v1/reminders/run", headers=manager())
    assert run.status_code == 200
    assert run.json()["recorded"] > 0  # every seed action is overdue and never updated
    again = await client.post("/v1/reminders/run", headers=manager())
    assert again.json()["recorded"] == 0
    listed = await client.get("/v1/reminders", headers=who("probation", "viewer"))
    assert len(listed.json()) == run.json()["recorded"]
    assert all(r["action_refs"] for r in listed.json())
