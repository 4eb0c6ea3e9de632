"""``POST /v1/owners``: a repeated title is a 409 naming ``title``, never a 500 (issue 15).

The check folded case in Python and the table's unique constraint compared exact text, so a
repeated non-ASCII title passed the check and broke the constraint; parallel identical posts
raced between the check and the insert.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.actions.config import ActionsSettings
from services.actions.main import create_app
from shared.db import create_sessionmaker
from shared.identity import InternalTokenVerifier
from tests.actions.conftest import count, manager
from tests.support.apps import client_for
from tests.support.tokens import ISSUER, internal_keys

TITLES = ["ÉQUIPE DE DIRECTION", "Директор службы", "Responsable Protección Ñ"]


@pytest.mark.parametrize("title", TITLES)
async def test_a_repeated_non_ascii_title_is_a_409_naming_the_title(
    client: httpx.AsyncClient, conn: AsyncConnection, title: str
) -> None:
    body = {"title": title, "agency": "council"}
    before = await count(conn, "SELECT count(*) FROM actions.owner")
    first = await client.post("/v1/owners", json=body, headers=manager())
    assert first.status_code == 201, first.text
    for repeat in (title, title.lower(), f"  {title}  "):
        again = await client.post("/v1/owners", json=body | {"title": repeat}, headers=manager())
        assert again.status_code == 409, again.text
        assert again.headers["content-type"].startswith("application/problem+json")
        assert again.json()["errors"][0]["field"] == "title"
        assert title not in again.text
        assert repeat.strip() not in again.text
    assert await count(conn, "SELECT count(*) FROM actions.owner") == before + 1


RACE_TITLE = "Directrice Générale Adjointe (course)"


@pytest.fixture
async def live(actions_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """An app on real, committing transactions (one pooled connection per request)."""
    app: FastAPI = create_app(ActionsSettings(profile="test"))
    app.state.engine = actions_engine
    app.state.sessionmaker = create_sessionmaker(actions_engine)
    app.state.verifier = InternalTokenVerifier(
        internal_keys()[1], issuer=ISSUER, audience="actions"
    )
    try:
        async with client_for(app) as client:
            yield client
    finally:
        async with actions_engine.begin() as conn:
            await conn.execute(
                text(
                    "DELETE FROM actions.outbox WHERE entity_type = 'owner' AND entity_id IN "
                    "(SELECT owner_id::text FROM actions.owner WHERE title IN (:t, :u))"
                ),
                {"t": RACE_TITLE, "u": RACE_TITLE.upper()},
            )
            await conn.execute(
                text("DELETE FROM actions.owner WHERE title IN (:t, :u)"),
                {"t": RACE_TITLE, "u": RACE_TITLE.upper()},
            )


async def test_ten_parallel_identical_posts_make_one_owner_and_no_500(
    live: httpx.AsyncClient, actions_engine: AsyncEngine
) -> None:
    # the same title, and the same title in capitals: one owner, whatever the order
    titles = [RACE_TITLE, RACE_TITLE.upper()] * 5
    results = await asyncio.gather(
        *(
            live.post("/v1/owners", json={"title": t, "agency": "council"}, headers=manager())
            for t in titles
        )
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [201] + [409] * 9, [r.text for r in results if r.status_code >= 500]
    for r in results:
        if r.status_code == 409:
            assert r.json()["errors"][0]["field"] == "title"
    async with actions_engine.connect() as conn:
        stored = await conn.scalar(
            text("SELECT count(*) FROM actions.owner WHERE title IN (:t, :u)"),
            {"t": RACE_TITLE, "u": RACE_TITLE.upper()},
        )
    assert stored == 1
