"""The production bootstrap (issue 19, item 1) against an empty PostgreSQL database: the
first administrator logs in with the printed password and TOTP through the gateway, the
standard catalogue and the organisation tree read back through kpis, a second run changes
nothing and prints no password; the gateway's signing keys are stored wrapped (item 2) and a
wrong wrapping key stops its start-up, naming the key."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pyotp
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import create_async_engine

from services.gateway.config import GatewaySettings
from services.gateway.keys.wrapping import WrappingKeyError
from services.gateway.main import create_app as gateway_app
from services.kpis.config import KpisSettings
from services.kpis.main import create_app as kpis_app
from shared.bootstrap import SERVICES, role_name, with_credentials
from shared.provision import ProductionSettings, provision, relaying_services
from tests.support.apps import bind_app, client_for, rolled_back
from tests.support.database import TEST_PASSWORDS
from tests.support.tokens import ISSUER, auth_header, caller, internal_keys

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "deploy" / "examples" / "wirral-org-units.csv"
CATALOGUE = ROOT / "services" / "kpis" / "standard_catalogue.json"
WRAPPING_KEY = "wrapping-" + uuid.uuid4().hex + uuid.uuid4().hex
RELAYS = {s: f"relay-secret-{s}-" + uuid.uuid4().hex for s in relaying_services()}


@dataclass
class Deployment:
    admin_url: str
    first_output: str
    environ: dict[str, str]

    def settings(self) -> ProductionSettings:
        return ProductionSettings(
            profile="production",
            admin_url=SecretStr(self.admin_url),
            org_units=TREE,
            first_admin="council.admin",
            **{f"{s}_password": SecretStr(p) for s, p in TEST_PASSWORDS.items()},  # type: ignore[arg-type]
        )

    def url(self, service: str) -> str:
        return with_credentials(
            self.admin_url, role_name(service), TEST_PASSWORDS[service], driver="postgresql+asyncpg"
        )


def _environ(**extra: str) -> dict[str, str]:
    prefixes = (*(s.upper() + "_" for s in SERVICES), "BOOTSTRAP_", "PROVISION_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    env |= {f"BOOTSTRAP_RELAY_{s.upper()}_SECRET": v for s, v in RELAYS.items()}
    return env | {"GATEWAY_KEY_WRAPPING_KEY": WRAPPING_KEY, "KPIS_AUTHORITY_CODE": "WIRRAL"} | extra


@pytest.fixture(scope="module")
def deployment(pg_server: str) -> Iterator[Deployment]:
    """An empty database on the test server, bootstrapped for production once."""
    name = f"prod_{uuid.uuid4().hex[:10]}"
    admin = pg_server.replace("postgresql+psycopg2://", "postgresql://").rsplit("/", 1)[0]
    made = Deployment(admin_url=f"{admin}/{name}", first_output="", environ=_environ())
    made.first_output = provision(made.settings(), made.environ)
    yield made
    asyncio.run(_drop(admin + "/postgres", name))


async def _drop(maintenance: str, name: str) -> None:
    conn = await asyncpg.connect(maintenance)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _printed(output: str) -> dict[str, str]:
    return dict(re.findall(r"^  (username|password|totp secret): (\S+)$", output, re.M))


async def _snapshot(admin_url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(admin_url)
    try:
        return {
            table: [dict(r) for r in await conn.fetch(f"SELECT * FROM {table} ORDER BY 1")]
            for table in (
                "gateway.signing_key",
                "gateway.client",
                "gateway.app_user",
                "kpis.indicator",
                "kpis.org_unit",
            )
        }
    finally:
        await conn.close()


def _gateway_settings(d: Deployment, wrapping_key: str = WRAPPING_KEY) -> GatewaySettings:
    return GatewaySettings(
        profile="production",
        database_url=SecretStr(d.url("gateway")),
        internal_jwt_private_key=SecretStr(internal_keys()[0]),
        internal_jwt_issuer=ISSUER,
        key_wrapping_key=SecretStr(wrapping_key),
        freeze_heap=False,
    )


@asynccontextmanager
async def _started(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app as uvicorn runs it: its start-up hooks, then requests."""
    async with app.router.lifespan_context(app), client_for(app) as http:
        yield http


async def test_first_admin_logs_in_and_the_catalogue_reads_back(deployment: Deployment) -> None:
    printed = _printed(deployment.first_output)
    assert printed["username"] == "council.admin"
    code = pyotp.TOTP(printed["totp secret"]).now()
    async with _started(gateway_app(_gateway_settings(deployment))) as gw:
        r = await gw.post(
            "/v1/auth/login",
            json={"username": "council.admin", "password": printed["password"], "totp": code},
        )
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
        # the token the wrapped key signed verifies on the gateway's own admin route
        me = await gw.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["roles"] == ["admin"]
        users = await gw.get("/v1/users", headers={"Authorization": f"Bearer {token}"})
        assert users.json()["items"]
    engine = create_async_engine(deployment.url("kpis"))
    try:
        async with rolled_back(engine) as connection:
            app = bind_app(create_app_kpis(), connection, audience="kpis")
            admin = auth_header(caller("council", ("admin",), subject="council.admin"), "kpis")
            async with client_for(app) as kpis:
                r = await kpis.get("/v1/indicators", params={"limit": 200}, headers=admin)
                assert r.status_code == 200, r.text
                got = {i["code"]: i for i in r.json()["items"]}
                units = await kpis.get("/v1/org-units", params={"limit": 200}, headers=admin)
                assert units.status_code == 200, units.text
    finally:
        await engine.dispose()
    standard = {m["code"] for m in json.loads(CATALOGUE.read_text())["measures"]}
    assert set(got) == standard
    # the DfE/Ofsted measures only: no plan theme, no partner's local measure
    assert not {"HV_6_8_WEEK", "STAFF_PERMANENT", "STEP_DOWNS"} & set(got)
    with TREE.open() as handle:
        rows = list(csv.DictReader(handle))
    listed = units.json()
    listed = listed["items"] if isinstance(listed, dict) else listed
    assert {u["code"] for u in listed} == {row["code"] for row in rows}


def create_app_kpis() -> FastAPI:
    return kpis_app(KpisSettings(profile="test", freeze_heap=False))


async def test_a_second_run_changes_nothing_and_prints_no_password(
    deployment: Deployment,
) -> None:
    before = await _snapshot(deployment.admin_url)
    again = await asyncio.to_thread(provision, deployment.settings(), deployment.environ)
    assert "password:" not in again
    assert "totp" not in again
    assert "no password printed" in again
    assert await _snapshot(deployment.admin_url) == before
    # the relays: one per relaying service, trail:append only, enabled
    clients = {c["client_id"]: c for c in before["gateway.client"]}
    relays = {c for c in clients if c.endswith("-relay")}
    assert relays == {f"{s}-relay" for s in RELAYS}
    assert all(json.loads(clients[c]["scopes"]) == ["trail:append"] for c in relays)


async def test_signing_keys_are_stored_wrapped(deployment: Deployment) -> None:
    rows = (await _snapshot(deployment.admin_url))["gateway.signing_key"]
    assert rows
    for row in rows:
        stored = row["private_key_wrapped"]
        assert stored.startswith("wrapped:v1:")
        assert "BEGIN" not in stored
        assert "PRIVATE KEY" not in stored


async def test_a_wrong_wrapping_key_stops_the_gateway_start_up(deployment: Deployment) -> None:
    app = gateway_app(_gateway_settings(deployment, wrapping_key="another-" + "z" * 40))
    with pytest.raises(WrappingKeyError, match="GATEWAY_KEY_WRAPPING_KEY is wrapping key"):
        async with _started(app):
            pass


async def test_a_tree_disagreeing_with_the_authority_code_is_refused(
    deployment: Deployment,
) -> None:
    before = await _snapshot(deployment.admin_url)
    environ = deployment.environ | {"KPIS_AUTHORITY_CODE": "SEFTON"}
    with pytest.raises(SystemExit, match="kpis failed"):
        await asyncio.to_thread(provision, deployment.settings(), environ)
    assert await _snapshot(deployment.admin_url) == before
