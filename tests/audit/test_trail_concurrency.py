"""Concurrent appends from every service keep one valid chain (real commits, own database)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.audit.config import AuditSettings
from services.audit.main import create_app
from services.audit.trail import repository as repo
from services.audit.trail import service
from services.audit.trail import verify as verify_command
from services.audit.trail.schemas import EventCreate
from services.audit.trail.signing import CheckpointSigner, generate_pem
from shared.db import create_sessionmaker
from shared.identity import InternalTokenVerifier
from tests.audit.conftest import as_, event, relay_caller
from tests.support.database import ThrowawayDatabase, fresh_database
from tests.support.tokens import ISSUER, internal_keys

PRODUCERS = ("actions", "kpis", "gateway", "audit")
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def own_db(pg_server: str) -> ThrowawayDatabase:
    return fresh_database(pg_server, label="chain")


@pytest.fixture
async def engine(own_db: ThrowawayDatabase) -> AsyncIterator[AsyncEngine]:
    made = create_async_engine(own_db.service_url("audit"), pool_size=8)
    yield made
    await made.dispose()


async def test_concurrent_producers_keep_one_gapless_valid_chain(engine: AsyncEngine) -> None:
    app = create_app(AuditSettings(profile="test", checkpoint_every_events=25))
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="audit")
    transport = httpx.ASGITransport(app=app)
    batches = {
        p: [[event(entity_id=f"{p}-{b}-{i}") for i in range(5)] for b in range(8)]
        for p in PRODUCERS
    }

    async def produce(name: str) -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:
            for batch in batches[name]:
                answer = await client.post(
                    "/v1/trail/events", json={"events": batch}, headers=as_(relay_caller(name))
                )
                assert answer.status_code == 200, answer.text
                # a relay retrying the same batch concurrently with others changes nothing
                again = await client.post(
                    "/v1/trail/events", json={"events": batch}, headers=as_(relay_caller(name))
                )
                assert again.json()["new"] == 0

    await asyncio.gather(*(produce(p) for p in PRODUCERS))
    async with engine.connect() as conn:
        counts: dict[str, int] = dict(
            (
                await conn.execute(
                    text("SELECT source, count(*) FROM audit.trail_event GROUP BY source")
                )
            ).all()
        )
        seqs = (
            await conn.execute(text("SELECT min(seq), max(seq), count(*) FROM audit.trail_event"))
        ).one()
    assert counts == {p: 40 for p in PRODUCERS}
    assert (seqs[0], seqs[1], seqs[2]) == (1, 160, 160)
    async with create_sessionmaker(engine)() as session:
        result = await service.verify(session, app.state.trail_signer)
    assert result.valid, result.first_broken
    assert result.checkpoints_checked >= 4


async def test_an_append_locks_and_reads_head_and_duplicates_in_one_statement(
    engine: AsyncEngine,
) -> None:
    """The chain lock is held to the commit, so every statement under it costs throughput:
    lock + duplicate check + head are one call (migration 0006), then the rows are written."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    first = [EventCreate.model_validate(event()) for _ in range(3)]
    async with create_sessionmaker(engine)() as session:
        await service.append(session, "kpis", first)
        await session.commit()
    sqlalchemy_event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with create_sessionmaker(engine)() as session:
            again = [*first[1:], EventCreate.model_validate(event())]
            stored = await service.append(session, "kpis", again)
            await session.commit()
    finally:
        sqlalchemy_event.remove(engine.sync_engine, "before_cursor_execute", seen)
    before_insert = [s for s in statements if not s.lstrip().upper().startswith("INSERT")]
    assert len(before_insert) == 1, statements  # was three: lock, duplicate check, head
    assert stored.new == 1  # the two already stored were found by the one call
    async with engine.connect() as conn:
        head = (
            await conn.execute(text("SELECT seq FROM audit.trail_event ORDER BY seq DESC LIMIT 1"))
        ).scalar_one()
    assert stored.head_seq == head


async def test_requests_waiting_for_the_chain_share_one_append_and_commit(
    engine: AsyncEngine, own_db: ThrowawayDatabase
) -> None:
    """While the chain is locked, arriving requests queue; the next append takes them all.

    A batch of the group the chain cannot canonicalise (NaN) fails alone, adding nothing."""
    app = create_app(AuditSettings(profile="test", checkpoint_every_events=1000))
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.verifier = InternalTokenVerifier(internal_keys()[1], issuer=ISSUER, audience="audit")
    transport = httpx.ASGITransport(app=app)
    locks: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "lock" in statement:
            locks.append(statement)

    batches = [[event(entity_id=f"g-{r}-{i}") for i in range(3)] for r in range(8)]
    batches[4][1]["payload"] = {"ratio": float("nan")}
    async with engine.connect() as conn:
        before = (await conn.execute(text("SELECT count(*) FROM audit.trail_event"))).scalar_one()
    holder = await asyncpg.connect(own_db.admin_url)
    sqlalchemy_event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", repo.CHAIN_LOCK)
        async with httpx.AsyncClient(transport=transport, base_url="http://audit") as client:

            def post(r: int) -> asyncio.Task[httpx.Response]:
                return asyncio.create_task(
                    client.post(
                        "/v1/trail/events",
                        content=json.dumps({"events": batches[r]}),  # allow_nan: NaN as JSON has it
                        headers={**as_(relay_caller(PRODUCERS[r % 4])), **JSON},
                    )
                )

            async def until(reached: Callable[[], bool], what: str) -> None:
                for _ in range(6000):  # a state waited for, not a time asserted
                    if reached():
                        return
                    await asyncio.sleep(0.02)
                raise AssertionError(f"never reached: {what}")

            # the first batch alone, until its append waits on the held lock; then the seven,
            # until six queue behind it and the NaN batch is refused before queueing (sent
            # together, they could all share the first group)
            posts = [post(0)]
            await until(lambda: bool(locks), "the first append waiting on the chain lock")
            posts += [post(r) for r in range(1, len(batches))]
            await until(
                lambda: len(app.state.trail_ingest._queue) == 6 and posts[4].done(),
                "six batches queued and the NaN batch answered",
            )
            await tx.rollback()
            answers = await asyncio.gather(*posts)
    finally:
        sqlalchemy_event.remove(engine.sync_engine, "before_cursor_execute", seen)
        await holder.close()
    assert [a.status_code for a in answers] == [200] * 4 + [422] + [200] * 3
    assert [a.json().get("new") for a in answers] == [3] * 4 + [None] + [3] * 3
    assert len(locks) == 2, locks  # the one already waiting, then the six together
    async with engine.connect() as conn:
        after = (await conn.execute(text("SELECT count(*) FROM audit.trail_event"))).scalar_one()
        stored = set(
            (await conn.execute(text("SELECT entity_id FROM audit.trail_event"))).scalars()
        )
    assert after - before == 21
    assert {e["entity_id"] for r, b in enumerate(batches) for e in b if r != 4} <= stored
    assert not {e["entity_id"] for e in batches[4]} & stored
    async with create_sessionmaker(engine)() as session:
        result = await service.verify(session, app.state.trail_signer)
    assert result.valid, result.first_broken


async def test_the_verify_command_names_the_first_broken_link(
    own_db: ThrowawayDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Runs last in this module: it tampers with the module's database."""
    db = own_db
    key = generate_pem()
    settings = AuditSettings(
        profile="test",
        database_url=SecretStr(db.service_url("audit")),
        checkpoint_signing_key=SecretStr(key),
    )
    engine = create_async_engine(db.service_url("audit"))
    signer = CheckpointSigner.from_settings(settings)
    async with create_sessionmaker(engine)() as session:
        await service.append(
            session, "kpis", [EventCreate.model_validate(event()) for _ in range(5)]
        )
        exported = await service.make_checkpoint(session, signer)
        await session.commit()
    await engine.dispose()
    (tmp_path / "cp.json").write_text(exported.model_dump_json())
    monkeypatch.setenv("AUDIT_PROFILE", "test")
    monkeypatch.setenv("AUDIT_DATABASE_URL", db.service_url("audit"))
    monkeypatch.setenv("AUDIT_CHECKPOINT_SIGNING_KEY", key)
    argv = ["--checkpoint", str(tmp_path / "cp.json")]

    async def run() -> tuple[int, dict[str, Any]]:
        capsys.readouterr()
        code = await asyncio.to_thread(verify_command.main, argv)  # as the command runs it
        return code, json.loads(capsys.readouterr().out)

    code, report = await run()
    assert code == 0, report
    assert report["checkpoints_checked"] == 2
    admin = await asyncpg.connect(db.admin_url)
    try:
        await admin.execute("SET session_replication_role = replica")
        await admin.execute(
            "UPDATE audit.trail_event SET entity_id = 'X' WHERE seq = $1", exported.seq - 1
        )
    finally:
        await admin.close()
    code, report = await run()
    assert code == 1
    assert report["first_broken"]["seq"] == exported.seq - 1
