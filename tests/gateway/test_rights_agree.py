"""Z6: the gateway and every service agree on who may do what.

For every role and every operation the services serve behind the gateway's routing table,
the gateway's decision (``policy``, read from ``shared/rights.py``) is held against what the
owning service answers when called directly with an internal token for a council person of
that role, on seeded objects of the council, with bodies an entitled caller could send:

- the gateway allows → at least one of the operation's example requests is not refused
  (not 401/403: a 404 or 409 is the object's business, not a refusal of the role);
- the gateway refuses → every example request is refused (403, or 404 for an object
  the caller may not see).

Each request runs inside a savepoint rolled back afterwards, so every role meets the same
objects. An operation served by a service with no example here fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.actions.config import ActionsSettings
from services.actions.main import create_app as actions_app
from services.actions.plans.loader import load_plan, read_seed
from services.audit.config import AuditSettings
from services.audit.main import create_app as audit_app
from services.board.config import BoardSettings
from services.board.main import create_app as board_app
from services.board.working.service import EvidenceCache
from services.gateway import policy
from services.gateway.routing.table import owner_of
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from services.kpis.seed import seed as seed_kpis
from shared.identity import Caller
from tests.audit.conftest import event
from tests.audit.qa import TOOL, graded
from tests.board.answers import Answers
from tests.gateway.test_policy import METHODS
from tests.support.apps import bind_app, client_for, session_on
from tests.support.tokens import auth_header, caller

ADMIN = caller("council", ("admin",), subject="rights-setup")
REFUSED = {401, 403}


@dataclass
class Example:
    """One request an entitled caller could make: path, body, and where its ETag comes from."""

    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    files: list[tuple[str, tuple[str, bytes]]] | None = None
    data: dict[str, str] | None = None
    etag_from: str | None = None


@dataclass
class Service:
    name: str
    app: FastAPI
    http: httpx.AsyncClient
    connection: AsyncConnection
    etags: dict[str, str] = field(default_factory=dict)

    async def call(self, method: str, ex: Example, who: Caller) -> httpx.Response:
        headers = auth_header(who, self.name)
        if ex.etag_from:
            headers["If-Match"] = self.etags.get(ex.etag_from, '"none"')
        savepoint = await self.connection.begin_nested()
        try:
            return await self.http.request(
                method,
                ex.path,
                json=ex.json,
                params=ex.params,
                files=ex.files,
                data=ex.data,
                headers=headers,
            )
        finally:
            await savepoint.rollback()

    async def made(self, method: str, path: str, body: Any, status: int = 201) -> Any:
        r = await self.http.request(method, path, json=body, headers=auth_header(ADMIN, self.name))
        assert r.status_code == status, r.text
        return r.json()

    async def remember_etag(self, path: str, params: dict[str, Any] | None = None) -> None:
        r = await self.http.get(path, params=params, headers=auth_header(ADMIN, self.name))
        assert r.status_code == 200, (path, r.text)
        self.etags[path] = r.headers["ETag"]


async def _scalar(connection: AsyncConnection, sql: str) -> int:
    found = await connection.scalar(text(sql))
    assert found is not None, sql
    return int(found)


async def _actions(svc: Service) -> dict[tuple[str, str], list[Example]]:
    c = svc.connection
    plan = await _scalar(c, "SELECT min(plan_id) FROM actions.plan WHERE status <> 'closed'")
    action = await _scalar(
        c,
        f"SELECT action_id FROM actions.action WHERE plan_id = {plan} AND ref = '2C3'",
    )
    sprint = await _scalar(c, "SELECT min(sprint_id) FROM actions.sprint")
    rec = await _scalar(c, "SELECT min(recommendation_id) FROM actions.recommendation")
    owner = await _scalar(c, "SELECT min(owner_id) FROM actions.owner")
    step = await _scalar(
        c, f"SELECT min(number) FROM actions.action_step WHERE action_id = {action}"
    )
    crit = await _scalar(
        c,
        "SELECT criterion_id FROM actions.success_criterion "
        f"WHERE plan_id = {plan} AND code = '2C'",
    )
    link = {"target_value": 10, "direction": "up", "by_date": "2019-03-31"}
    await svc.made(
        "POST", f"/v1/success-criteria/{crit}/indicators", {"indicator_code": "CIN"} | link
    )
    ci = f"/v1/success-criteria/{crit}/indicators"
    ra = f"/v1/recommendations/{rec}/actions/{action}"
    scores = {"likelihood_before": 4, "impact_before": 4, "likelihood_after": 2, "impact_after": 3}
    risk = (await svc.made("POST", "/v1/risks", {"plan_id": plan, "risk": "R"} | scores))["risk_id"]
    a, p = f"/v1/actions/{action}", f"/v1/plans/{plan}"
    for path in (a, p):
        await svc.remember_etag(path)
    update = {"narrative": "Going ahead.", "percent_complete": 10, "declared_rag": "green"}
    return {
        ("GET", "/v1/plans"): [Example("/v1/plans")],
        ("GET", "/v1/plans/{plan_id}"): [Example(p)],
        ("PATCH", "/v1/plans/{plan_id}"): [Example(p, {"title": "Renamed"}, etag_from=p)],
        ("POST", "/v1/plans/{plan_id}/refresh"): [
            Example(
                f"{p}/refresh",
                {
                    "start_date": "2019-08-01",
                    "end_date": "2021-07-31",
                    "default_due_date": "2021-03-31",
                },
                etag_from=p,
            )
        ],
        ("GET", "/v1/themes"): [Example("/v1/themes")],
        ("GET", "/v1/success-criteria"): [Example("/v1/success-criteria")],
        ("GET", "/v1/success-criteria/indicators"): [Example("/v1/success-criteria/indicators")],
        ("GET", "/v1/success-criteria/{criterion_id}/indicators"): [Example(ci)],
        ("POST", "/v1/success-criteria/{criterion_id}/indicators"): [
            Example(ci, {"indicator_code": "CONTACTS"} | link)
        ],
        ("DELETE", "/v1/success-criteria/{criterion_id}/indicators/{indicator_code}"): [
            Example(f"{ci}/CIN")
        ],
        ("GET", "/v1/owners"): [Example("/v1/owners")],
        ("POST", "/v1/owners"): [Example("/v1/owners", {"title": "Head", "agency": "council"})],
        ("PUT", "/v1/owners/{owner_id}/person"): [
            Example(
                f"/v1/owners/{owner}/person",
                {"user_subject": "person-1", "display_name": "A Person"},
            )
        ],
        ("GET", "/v1/actions"): [Example("/v1/actions")],
        ("POST", "/v1/actions"): [
            Example(
                "/v1/actions",
                {"plan_id": plan, "criterion_code": "2C", "ref": "2C99", "title": "New"},
            )
        ],
        ("GET", "/v1/actions/mine"): [Example("/v1/actions/mine")],
        ("GET", "/v1/actions/{action_id}"): [Example(a)],
        ("PATCH", "/v1/actions/{action_id}"): [Example(a, {"title": "T"}, etag_from=a)],
        ("PATCH", "/v1/actions/{action_id}/steps/{number}"): [
            Example(f"{a}/steps/{step}", {"status": "in_progress"}, etag_from=a)
        ],
        ("POST", "/v1/actions/{action_id}/status"): [
            Example(f"{a}/status", {"status": "blocked"}, etag_from=a),
            Example(f"{a}/status", {"status": "embedded"}, etag_from=a),
        ],
        ("GET", "/v1/actions/{action_id}/updates"): [Example(f"{a}/updates")],
        ("POST", "/v1/actions/{action_id}/updates"): [Example(f"{a}/updates", update, etag_from=a)],
        ("GET", "/v1/sprints"): [Example("/v1/sprints")],
        ("GET", "/v1/sprints/{sprint_id}"): [Example(f"/v1/sprints/{sprint}")],
        ("POST", "/v1/sprints/{sprint_id}/close"): [Example(f"/v1/sprints/{sprint}/close")],
        ("GET", "/v1/recommendations"): [Example("/v1/recommendations")],
        ("GET", "/v1/recommendations/{recommendation_id}"): [Example(f"/v1/recommendations/{rec}")],
        ("PATCH", "/v1/recommendations/{recommendation_id}"): [
            Example(
                f"/v1/recommendations/{rec}",
                {"further_work": "Re-audit"},
                etag_from=f"/v1/recommendations/{rec}",
            )
        ],
        ("PUT", "/v1/recommendations/{recommendation_id}/actions/{action_id}"): [Example(ra)],
        ("DELETE", "/v1/recommendations/{recommendation_id}/actions/{action_id}"): [Example(ra)],
        ("GET", "/v1/risks"): [Example("/v1/risks")],
        ("POST", "/v1/risks"): [Example("/v1/risks", {"plan_id": plan, "risk": "S"} | scores)],
        ("GET", "/v1/risks/{risk_id}"): [Example(f"/v1/risks/{risk}")],
        ("PATCH", "/v1/risks/{risk_id}"): [Example(f"/v1/risks/{risk}", {"cause": "C"})],
        ("GET", "/v1/board-summary"): [Example("/v1/board-summary")],
        ("GET", "/v1/reminders"): [Example("/v1/reminders")],
        ("POST", "/v1/reminders/run"): [Example("/v1/reminders/run")],
    }


INDICATOR = {
    "name": "Rights check",
    "themes": [1],
    "unit": "count",
    "polarity": "lower",
    "frequency": "monthly",
    "kind": "flow",
    "definition": "A measure made for the rights check.",
}


async def _kpis(svc: Service) -> dict[tuple[str, str], list[Example]]:
    row = {"indicator": "CONTACTS", "period": "2020-10", "org_unit": "WIRRAL", "value": 5}
    made = await svc.made("POST", "/v1/submissions", {"rows": [row]})
    submission = made["submission_id"]
    key = {"indicator": "CONTACTS", "period": "2020-10"}
    await svc.remember_etag("/v1/values/periods", key)
    await svc.remember_etag("/v1/indicators/CONTACTS")
    missing, other = str(uuid.uuid4()), str(uuid.uuid4())
    version = INDICATOR | {"definition": "A changed definition."}
    csv = [("files", ("Annex_A.csv", b"not a workbook\n"))]
    return {
        ("GET", "/v1/indicators"): [Example("/v1/indicators")],
        ("POST", "/v1/indicators"): [
            Example("/v1/indicators", INDICATOR | {"code": "RIGHTS_X", "source_agency": "council"})
        ],
        ("GET", "/v1/indicators/{code}"): [Example("/v1/indicators/CONTACTS")],
        ("GET", "/v1/indicators/{code}/versions"): [Example("/v1/indicators/CONTACTS/versions")],
        ("POST", "/v1/indicators/{code}/versions"): [
            Example(
                "/v1/indicators/CONTACTS/versions",
                version,
                etag_from="/v1/indicators/CONTACTS",
            )
        ],
        ("GET", "/v1/org-units"): [Example("/v1/org-units")],
        ("POST", "/v1/org-units"): [
            Example("/v1/org-units", {"code": "T-RIGHTS", "level": "team", "parent": "WIRRAL"})
        ],
        ("GET", "/v1/targets"): [Example("/v1/targets")],
        ("PUT", "/v1/targets"): [
            Example(
                "/v1/targets",
                {
                    "indicator_code": "CONTACTS",
                    "financial_year": 2020,
                    "value": 10,
                    "amber_tolerance": 1,
                },
            )
        ],
        ("GET", "/v1/benchmarks"): [Example("/v1/benchmarks")],
        ("POST", "/v1/benchmarks"): [
            Example(
                "/v1/benchmarks",
                {
                    "indicator_code": "CONTACTS",
                    "comparator": "region",
                    "period_label": "2020/21",
                    "value": 5,
                    "source": "Rights check",
                },
            )
        ],
        ("POST", "/v1/submissions"): [Example("/v1/submissions", {"rows": [row | {"value": 6}]})],
        ("GET", "/v1/submissions/{submission_id}"): [Example(f"/v1/submissions/{submission}")],
        ("GET", "/v1/values"): [Example("/v1/values", params=key)],
        ("GET", "/v1/values/export.csv"): [Example("/v1/values/export.csv", params=key)],
        ("GET", "/v1/values/periods"): [Example("/v1/values/periods", params=key)],
        ("GET", "/v1/values/reconciliation"): [
            Example("/v1/values/reconciliation", params={"indicator": "CONTACTS"})
        ],
        ("POST", "/v1/values/transitions"): [
            Example("/v1/values/transitions", key | {"action": a}, etag_from="/v1/values/periods")
            for a in ("submit", "approve")
        ],
        ("GET", "/v1/series"): [Example("/v1/series", params={"indicator": "CONTACTS"})],
        ("GET", "/v1/dashboard"): [Example("/v1/dashboard")],
        ("GET", "/v1/dashboard/drill-down"): [
            Example("/v1/dashboard/drill-down", params=key | {"org_unit": "WIRRAL"})
        ],
        ("GET", "/v1/releases"): [Example("/v1/releases", params={"agency": "council"})],
        ("GET", "/v1/releases/keys"): [Example("/v1/releases/keys")],
        ("GET", "/v1/releases/{release_id}"): [Example(f"/v1/releases/{missing}")],
        ("GET", "/v1/imports"): [Example("/v1/imports")],
        ("GET", "/v1/webhooks"): [Example("/v1/webhooks")],
        ("POST", "/v1/webhooks"): [
            Example("/v1/webhooks", {"url": "http://127.0.0.1:9/h", "events": ["import.failed"]})
        ],
        ("DELETE", "/v1/webhooks/{subscription_id}"): [Example(f"/v1/webhooks/{missing}")],
        ("GET", "/v1/webhooks/{subscription_id}/deliveries"): [
            Example(f"/v1/webhooks/{missing}/deliveries")
        ],
        ("POST", "/v1/imports"): [Example("/v1/imports", data={"kind": "annex_a"}, files=csv)],
        ("GET", "/v1/imports/reconciliation"): [
            Example(
                "/v1/imports/reconciliation",
                params={"measure": "CIC", "period": "2017-18", "left": missing, "right": other},
            )
        ],
        ("GET", "/v1/imports/{import_id}"): [Example(f"/v1/imports/{missing}")],
        ("GET", "/v1/imports/{import_id}/values"): [Example(f"/v1/imports/{missing}/values")],
        ("GET", "/v1/imports/{import_id}/events"): [Example(f"/v1/imports/{missing}/events")],
        ("POST", "/v1/imports/{import_id}/withdraw"): [
            Example(f"/v1/imports/{missing}/withdraw", json={"reason": "the wrong year's files"})
        ],
    }


async def _audit(svc: Service) -> dict[tuple[str, str], list[Example]]:
    tool = (await svc.made("POST", "/v1/audit-tools", TOOL))["tool_id"]
    programme_body = {
        "title": "Front-door threshold audit",
        "tool_id": tool,
        "scope": "Contacts",
        "sampling_rule": "random",
        "sample_size": 20,
        "schedule": "monthly",
        "lead_agency": "council",
    }
    programme = (await svc.made("POST", "/v1/audit-programmes", programme_body))["programme_id"]
    audit_body = {
        "programme_id": programme,
        "case_ref": "LCS-104233",
        "team_code": "MASH-1",
        "audit_date": "2026-01-15",
    }
    audit = (await svc.made("POST", "/v1/audits", audit_body))["audit_id"]
    finding_body = {
        "audit_id": audit,
        "severity": "medium",
        "description": "Plan not updated",
        "owner": "Team manager",
        "agency": "council",
        "due_date": "2026-03-01",
    }
    finding = (await svc.made("POST", "/v1/findings", finding_body))["finding_id"]
    au, pr = f"/v1/audits/{audit}", f"/v1/audit-programmes/{programme}"
    fi = f"/v1/findings/{finding}"
    submitted = f"/v1/audits/{(await graded(svc.http, programme, 'good'))['audit_id']}"
    moderated = await graded(svc.http, programme, "good", moderated="requires_improvement")
    done = f"/v1/audits/{moderated['audit_id']}"
    for path in (au, pr, fi, submitted, done):
        await svc.remember_etag(path)
    section = {"answers": {"q1": True, "q2": "good"}, "complete": True}
    return {
        ("GET", "/v1/audit-tools"): [Example("/v1/audit-tools")],
        ("POST", "/v1/audit-tools"): [Example("/v1/audit-tools", TOOL | {"code": "QALF-2"})],
        ("GET", "/v1/audit-tools/{tool_id}"): [Example(f"/v1/audit-tools/{tool}")],
        ("GET", "/v1/audit-programmes"): [Example("/v1/audit-programmes")],
        ("POST", "/v1/audit-programmes"): [Example("/v1/audit-programmes", programme_body)],
        ("GET", "/v1/audit-programmes/{programme_id}"): [Example(pr)],
        ("PATCH", "/v1/audit-programmes/{programme_id}"): [
            Example(pr, {"sample_size": 25}, etag_from=pr)
        ],
        ("GET", "/v1/audit-programmes/{programme_id}/criteria"): [Example(f"{pr}/criteria")],
        ("PUT", "/v1/audit-programmes/{programme_id}/criteria/{criterion_code}"): [
            Example(f"{pr}/criteria/1A")
        ],
        ("DELETE", "/v1/audit-programmes/{programme_id}/criteria/{criterion_code}"): [
            Example(f"{pr}/criteria/1A")
        ],
        ("GET", "/v1/audits"): [Example("/v1/audits")],
        ("POST", "/v1/audits"): [Example("/v1/audits", audit_body)],
        ("GET", "/v1/audits/{audit_id}"): [Example(au)],
        ("PATCH", "/v1/audits/{audit_id}"): [Example(au, {"grade": "good"}, etag_from=au)],
        ("PUT", "/v1/audits/{audit_id}/sections/{agency}"): [
            Example(f"{au}/sections/council", section, etag_from=au)
        ],
        ("POST", "/v1/audits/{audit_id}/submit"): [Example(f"{au}/submit", etag_from=au)],
        ("POST", "/v1/audits/{audit_id}/moderate"): [
            Example(f"{submitted}/moderate", {"grade": "good", "reason": "R"}, etag_from=submitted)
        ],
        ("POST", "/v1/audits/{audit_id}/close"): [Example(f"{done}/close", etag_from=done)],
        ("GET", "/v1/findings"): [Example("/v1/findings")],
        ("POST", "/v1/findings"): [Example("/v1/findings", finding_body)],
        ("GET", "/v1/findings/{finding_id}"): [Example(f"/v1/findings/{finding}")],
        ("PATCH", "/v1/findings/{finding_id}"): [
            Example(fi, {"owner_email": "qa.owner@council.example"}, etag_from=fi)
        ],
        ("POST", "/v1/findings/{finding_id}/transitions"): [
            Example(f"{fi}/transitions", {"to": "action_agreed", "action": "Fix"}, etag_from=fi)
        ],
        ("GET", "/v1/audit-statistics"): [Example("/v1/audit-statistics")],
        ("POST", "/v1/trail/events"): [Example("/v1/trail/events", {"events": [event()]})],
        ("GET", "/v1/trail"): [Example("/v1/trail")],
        ("GET", "/v1/trail/verify"): [Example("/v1/trail/verify")],
        ("GET", "/v1/trail/checkpoints"): [Example("/v1/trail/checkpoints")],
        ("GET", "/v1/trail/checkpoints/latest"): [Example("/v1/trail/checkpoints/latest")],
        ("POST", "/v1/trail/checkpoints"): [Example("/v1/trail/checkpoints")],
        ("POST", "/v1/trail/checkpoints/verify"): [
            Example(
                "/v1/trail/checkpoints/verify",
                {"seq": 1, "hash": "0" * 64, "created_at": "2026-01-01T00:00:00Z"}
                | {"key_id": "k", "signature": "s"},
            )
        ],
        ("GET", "/v1/trail/checkpoints/public-key"): [Example("/v1/trail/checkpoints/public-key")],
    }


async def _board(svc: Service) -> dict[tuple[str, str], list[Example]]:
    body = {
        "meeting_type": "improvement-board",
        "meeting_date": "2026-03-10",
        "title": "Improvement Board, March",
        "actions_arising": [{"description": "Report on delays", "plan_action_ref": "1A1"}],
    }
    first = await svc.made("POST", "/v1/meetings", body | {"meeting_date": "2026-02-10"})
    meeting = (await svc.made("POST", "/v1/meetings", body))["meeting_id"]
    assert first["meeting_id"] != meeting
    m = f"/v1/meetings/{meeting}"
    await svc.remember_etag(m)
    svc.app.state.evidence = EvidenceCache(Answers(), "WIRRAL", 60)
    pack = (await svc.made("POST", f"{m}/packs", None))["pack_id"]
    p = f"{m}/packs/{pack}"
    return {
        ("GET", "/v1/meeting-types"): [Example("/v1/meeting-types")],
        ("POST", "/v1/meeting-types"): [
            Example("/v1/meeting-types", {"code": "rights-board", "name": "Rights board"})
        ],
        ("GET", "/v1/meetings"): [Example("/v1/meetings")],
        ("POST", "/v1/meetings"): [Example("/v1/meetings", body)],
        ("GET", "/v1/meetings/{meeting_id}"): [Example(m)],
        ("PATCH", "/v1/meetings/{meeting_id}"): [Example(m, {"notes": "Minuted"}, etag_from=m)],
        ("DELETE", "/v1/meetings/{meeting_id}"): [Example(m, etag_from=m)],
        ("GET", "/v1/meetings/{meeting_id}/previous"): [Example(f"{m}/previous")],
        ("GET", "/v1/board/criteria-status"): [Example("/v1/board/criteria-status")],
        ("GET", "/v1/board/criteria/{criterion_id}/status"): [
            Example("/v1/board/criteria/1/status")
        ],
        ("GET", "/v1/board/recommendations-status"): [Example("/v1/board/recommendations-status")],
        ("GET", "/v1/board/status-rule"): [Example("/v1/board/status-rule")],
        ("POST", "/v1/board/inspection-packs"): [Example("/v1/board/inspection-packs")],
        ("POST", "/v1/meetings/{meeting_id}/packs"): [Example(f"{m}/packs")],
        ("GET", "/v1/meetings/{meeting_id}/packs"): [Example(f"{m}/packs")],
        ("GET", "/v1/meetings/{meeting_id}/packs/{pack_id}"): [Example(p)],
        ("GET", "/v1/meetings/{meeting_id}/packs/{pack_id}/html"): [Example(f"{p}/html")],
        ("GET", "/v1/meetings/{meeting_id}/packs/{pack_id}/pdf"): [Example(f"{p}/pdf")],
    }


def _served(app: FastAPI) -> set[tuple[str, str]]:
    ops = set()
    for path, item in app.openapi()["paths"].items():
        for method in METHODS:
            if method in item and path.startswith("/v1/"):
                ops.add((method.upper(), path))
    return ops


@pytest.fixture
async def services(
    actions_connection: AsyncConnection,
    kpis_connection: AsyncConnection,
    audit_connection: AsyncConnection,
    board_connection: AsyncConnection,
) -> AsyncIterator[list[tuple[Service, dict[tuple[str, str], list[Example]]]]]:
    await load_plan(actions_connection, read_seed())
    async with session_on(kpis_connection) as session:
        await seed_kpis(session)
        await session.commit()
    built = []
    for name, factory, settings, connection, examples in (
        ("actions", actions_app, ActionsSettings(profile="test"), actions_connection, _actions),
        ("kpis", kpis_app, KpisSettings(profile="test"), kpis_connection, _kpis),
        ("audit", audit_app, AuditSettings(profile="test"), audit_connection, _audit),
        ("board", board_app, BoardSettings(profile="test"), board_connection, _board),
    ):
        app = bind_app(factory(settings), connection, audience=name)  # type: ignore[operator]
        svc = Service(name, app, client_for(app), connection)
        built.append((svc, await examples(svc)))
    try:
        yield built
    finally:
        for svc, _ in built:
            await svc.http.aclose()


def _gateway_allows(who: Caller, method: str, template: str) -> bool:
    concrete = "/".join("x1" if p.startswith("{") else p for p in template.split("/"))
    permission = policy.required_permission(method, concrete)
    return permission is not None and policy.allows(who, permission)


@pytest.mark.parametrize("role", sorted(policy.ROLES))
async def test_z6_gateway_and_services_agree_for_every_role_and_operation(
    services: list[tuple[Service, dict[tuple[str, str], list[Example]]]], role: str
) -> None:
    who = caller("council", (role,), subject=f"rights-{role}")
    disagreements = []
    for svc, examples in services:
        served = _served(svc.app)
        assert served == set(examples), f"{svc.name}: operations without an example"
        for method, template in sorted(served):
            assert owner_of(template.replace("{", "").replace("}", "")) == svc.name
            allowed = _gateway_allows(who, method, template)
            answers = [
                (await svc.call(method, ex, who)).status_code for ex in examples[(method, template)]
            ]
            if allowed and all(s in REFUSED for s in answers):
                disagreements.append(
                    f"gateway allows, {svc.name} refuses: {method} {template} {answers}"
                )
            if not allowed and not all(s in (403, 404) for s in answers):
                disagreements.append(
                    f"gateway refuses, {svc.name} answers: {method} {template} {answers}"
                )
    assert disagreements == [], f"{role}:\n" + "\n".join(disagreements)
