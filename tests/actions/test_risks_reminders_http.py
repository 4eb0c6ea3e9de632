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
    assert [x["status"] for x in listed.json()["items"]] == ["mitigated"]


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
    assert listed.json()["total"] == run.json()["recorded"]
    assert len(listed.json()["items"]) == min(run.json()["recorded"], 50)
    assert all(r["action_refs"] for r in listed.json()["items"])


SCORES = {"likelihood_before": 3, "impact_before": 4, "likelihood_after": 2, "impact_after": 5}


def _risk(plan_id: int, **scores: int) -> dict[str, object]:
    return {"plan_id": plan_id, "risk": "Caseloads rise again"} | SCORES | scores


def _names_the_residual(r: httpx.Response) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"likelihood_after", "impact_after"}


async def test_residual_score_may_not_exceed_inherent_on_create(
    client: httpx.AsyncClient, plan_id: int
) -> None:
    # inherent 3 x 4 = 12; residual 4 x 4 = 16 is above it, 2 x 5 = 10 and 3 x 4 = 12 are not
    before = (await client.get("/v1/risks", params={"plan_id": plan_id}, headers=manager())).json()[
        "items"
    ]
    _names_the_residual(
        await client.post(
            "/v1/risks", json=_risk(plan_id, likelihood_after=4, impact_after=4), headers=manager()
        )
    )
    after = (await client.get("/v1/risks", params={"plan_id": plan_id}, headers=manager())).json()[
        "items"
    ]
    assert after == before  # nothing stored
    for ok in ({}, {"likelihood_after": 3, "impact_after": 4}):
        r = await client.post("/v1/risks", json=_risk(plan_id, **ok), headers=manager())
        assert r.status_code == 201, r.text


async def test_residual_score_may_not_exceed_inherent_on_update(
    client: httpx.AsyncClient, plan_id: int
) -> None:
    made = await client.post("/v1/risks", json=_risk(plan_id), headers=manager())
    assert made.status_code == 201
    url, etag = f"/v1/risks/{made.json()['risk_id']}", made.headers["ETag"]
    # inherent 12, residual 10: each change of one score alone that breaks the rule is refused
    for change in (
        {"impact_after": 3 + 4},  # out of range anyway: pydantic's own 422
        {"likelihood_after": 3},  # residual 3 x 5 = 15 > 12
        {"impact_before": 2},  # inherent 3 x 2 = 6 < 10
        {"likelihood_before": 1},  # inherent 1 x 4 = 4 < 10
    ):
        r = await client.patch(url, json=change, headers=manager() | {"If-Match": etag})
        assert r.status_code == 422, (change, r.text)
        if "impact_after" not in change:
            _names_the_residual(r)
    same = await client.get(url, headers=manager())
    assert same.headers["ETag"] == etag  # nothing changed
    ok = await client.patch(url, json={"impact_before": 5}, headers=manager() | {"If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["score_before"], ok.json()["score_after"]) == (15, 10)
