"""Issue 14, item 3: a wrong import is correctable.

The settings are part of what makes an upload the same; an applied import can be
withdrawn, its values leaving the current values (kept in history, in the trail) and the
values it had superseded current again. Children in care on 31 March 2018 are counted in
plain Python over the sample's CSV.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.kpis.imports.conftest import IMPORTER, SECOND_IMPORTER, SSDA903, VIEWER, ImportsApi
from tests.kpis.imports.test_multi_year import _rows, looked_after_on

EPISODES = (SSDA903 / "episodes.csv").read_text()
OC3 = (SSDA903 / "oc3.csv").read_bytes()

CURRENT_CIC = """
    SELECT v.numerator FROM kpis.indicator_value v
    JOIN kpis.indicator i ON i.indicator_id = v.indicator_id
    JOIN kpis.org_unit o ON o.org_unit_id = v.org_unit_id
    WHERE i.code = 'CIC' AND v.period_type = 'month' AND v.period_end = '2018-03-31'
      AND o.code = 'WIRRAL' AND v.is_current
"""
REVISIONS = """
    SELECT count(*) FROM kpis.indicator_value v
    JOIN kpis.indicator i ON i.indicator_id = v.indicator_id
    JOIN kpis.org_unit o ON o.org_unit_id = v.org_unit_id
    WHERE i.code = 'CIC' AND v.period_type = 'month' AND v.period_end = '2018-03-31'
      AND o.code = 'WIRRAL'
"""


async def _succeeded(client: ImportsApi, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    job = await client.job(response.json()["id"])
    assert job["status"] == "succeeded", job["report"]["errors"][:5]
    return job


async def test_the_same_files_with_other_settings_are_another_import(client: ImportsApi) -> None:
    files = [("episodes.csv", EPISODES.encode()), ("oc3.csv", OC3)]
    first = await _succeeded(client, await client.upload("ssda903", files, collection_year=2017))
    again = await client.upload("ssda903", files, collection_year=2017)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first["id"]
    for form in ({"collection_year": 2017, "population": 60000}, {}):
        other = await client.upload("ssda903", files, **form)
        assert other.status_code == 202, (form, other.text)
        assert other.json()["duplicate"] is False
        assert other.json()["id"] != first["id"]


async def test_withdrawing_an_import_brings_back_the_figures_it_superseded(
    client_with_values: ImportsApi,
) -> None:
    client = client_with_values
    right_files = [("episodes.csv", EPISODES.encode()), ("oc3.csv", OC3)]
    right = await _succeeded(
        client, await client.upload("ssda903", right_files, collection_year=2017)
    )
    right_figure = looked_after_on(EPISODES, date(2018, 3, 31))
    assert await client.scalar(CURRENT_CIC) == right_figure

    # a wrong export: its episodes' closing dates lost (every child still looked after)
    rows = _rows(EPISODES)
    wrong_text = EPISODES.splitlines()[0] + "\r\n"
    wrong_text += "".join(
        ",".join({**r, "DEC": ""}[h] for h in r) + "\r\n" for r in rows if r["DECOM"]
    )
    wrong_figure = looked_after_on(wrong_text, date(2018, 3, 31))
    assert wrong_figure != right_figure
    wrong_files = [("episodes.csv", wrong_text.encode()), ("oc3.csv", OC3)]
    wrong = await _succeeded(
        client, await client.upload("ssda903", wrong_files, collection_year=2017)
    )
    assert await client.scalar(CURRENT_CIC) == wrong_figure

    # only importers withdraw, with a reason
    refused = await client.http.post(
        f"/v1/imports/{wrong['id']}/withdraw", json={"reason": "x"}, headers=VIEWER
    )
    assert refused.status_code == 403
    no_reason = await client.http.post(
        f"/v1/imports/{wrong['id']}/withdraw", json={}, headers=IMPORTER
    )
    assert no_reason.status_code == 422
    # four eyes: the importer who ran it may not withdraw it alone; nothing changes
    own = await client.http.post(
        f"/v1/imports/{wrong['id']}/withdraw", json={"reason": "mine"}, headers=IMPORTER
    )
    assert own.status_code == 403, own.text
    assert "four eyes" in own.json()["detail"]
    assert (await client.job(wrong["id"]))["status"] == "succeeded"
    assert await client.scalar(CURRENT_CIC) == wrong_figure

    response = await client.http.post(
        f"/v1/imports/{wrong['id']}/withdraw",
        json={"reason": "closing dates missing from the export"},
        headers=SECOND_IMPORTER,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "withdrawn"
    withdrawal = body["report"]["withdrawal"]
    assert withdrawal["reason"] == "closing dates missing from the export"
    assert withdrawal["values_withdrawn"] > 0
    assert withdrawal["values_restored"] > 0
    # the figures it had superseded are current again; its own stay in the history
    assert await client.scalar(CURRENT_CIC) == right_figure
    assert await client.scalar(REVISIONS) == 2
    # the trail records it
    for event in ("import.withdrawn", "indicator_values.withdrawn"):
        found = await client.scalar(
            "SELECT count(*) FROM kpis.outbox WHERE event_type = :e AND entity_id = :id",
            e=event,
            id=wrong["id"],
        )
        assert found == 1, event
    # the import's own computed values are kept with it
    assert len(await client.values(wrong["id"])) > 0
    # withdrawn once only; a withdrawn import's files may be imported again
    twice = await client.http.post(
        f"/v1/imports/{wrong['id']}/withdraw", json={"reason": "again"}, headers=SECOND_IMPORTER
    )
    assert twice.status_code == 409
    again = await client.upload("ssda903", wrong_files, collection_year=2017)
    assert again.status_code == 202
    assert again.json()["duplicate"] is False
    again_job = await client.job(again.json()["id"])
    assert again_job["status"] == "succeeded", again_job["report"]["errors"][:5]
    assert await client.scalar(CURRENT_CIC) == wrong_figure
    # withdrawing that one too skips the first wrong import's revision (withdrawn): the
    # right figure is current again, and every revision is kept
    response = await client.http.post(
        f"/v1/imports/{again_job['id']}/withdraw",
        json={"reason": "same mistake"},
        headers=SECOND_IMPORTER,
    )
    assert response.status_code == 200, response.text
    assert await client.scalar(CURRENT_CIC) == right_figure
    assert await client.scalar(REVISIONS) == 3
    assert (await client.job(right["id"]))["status"] == "succeeded"
