"""KPI service fixtures: a seeded catalogue inside each test's rolled-back transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.kpis.config import KpisSettings
from services.kpis.main import create_app
from services.kpis.seed import seed
from shared.identity import Caller
from tests.support.apps import bind_app, client_for, session_on
from tests.support.tokens import auth_header, caller


@pytest.fixture
async def session(kpis_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    s = session_on(kpis_connection)
    await seed(s)
    await s.commit()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def client(
    kpis_connection: AsyncConnection, session: AsyncSession
) -> AsyncIterator[httpx.AsyncClient]:
    app = bind_app(create_app(KpisSettings(profile="test")), kpis_connection, audience="kpis")
    async with client_for(app) as c:
        yield c


def as_(who: Caller) -> dict[str, str]:
    return auth_header(who, "kpis")


COUNCIL_ANALYST = caller("council", ("contributor",), subject="analyst-1")
COUNCIL_APPROVER = caller("council", ("approver",), subject="approver-1")
COUNCIL_MANAGER = caller("council", ("plan_manager",), subject="manager-1")
COUNCIL_VIEWER = caller("council", ("viewer",), subject="viewer-1")
CCG_CONTRIBUTOR = caller("ccg", ("contributor",), subject="nurse-1")
CCG_APPROVER = caller("ccg", ("approver",), subject="nurse-lead")
POLICE_CLIENT = caller("police", (), ("kpis:read", "kpis:submit"), kind="client")
CCG_CLIENT = caller("ccg", (), ("kpis:read", "kpis:submit"), kind="client")
