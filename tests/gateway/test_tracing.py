"""Traces (issue 19, item 5): one request through the gateway shows the gateway, the service
and the service's queries as one trace. The gateway forwards over its real aiohttp session to
the actions service served by uvicorn on a real port (the trace context crosses the wire as
the ``traceparent`` header), which reads PostgreSQL; spans go to an in-memory exporter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.actions.config import ActionsSettings
from services.actions.main import create_app as create_actions
from services.gateway.routing.upstream import create_session
from shared import tracing
from shared.config import ServiceSettings
from tests.gateway.conftest import gateway_settings, make_gateway
from tests.support.apps import bind_app, rolled_back
from tests.support.database import ThrowawayDatabase
from tests.support.tokens import ISSUER, internal_keys

FORGED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None)
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, port


@pytest.fixture
async def traced_actions(
    database: ThrowawayDatabase, exporter: InMemorySpanExporter, provider: Any
) -> AsyncIterator[int]:
    """The actions service on a real port, traced, on a rolled-back connection."""
    engine = create_async_engine(database.service_url("actions"))
    tracing.trace_engine(engine, provider)
    try:
        async with rolled_back(engine) as connection:
            settings = ActionsSettings(
                profile="test",
                internal_jwt_public_key=SecretStr(internal_keys()[1]),
                internal_jwt_issuer=ISSUER,
            )
            app = bind_app(create_actions(settings), connection, audience="actions")
            tracing.install(app, provider)
            server, task, port = await serve(app)
            try:
                yield port
            finally:
                server.should_exit = True
                await task
    finally:
        await engine.dispose()


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Any:
    made = tracing.make_provider(SimpleSpanProcessor(exporter), "test")
    yield made
    made.shutdown()


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent else None


async def test_one_request_is_one_trace_from_gateway_to_the_queries(
    gateway_connection: AsyncConnection,
    traced_actions: int,
    exporter: InMemorySpanExporter,
    provider: Any,
) -> None:
    gw = await make_gateway(
        gateway_connection, gateway_settings(actions_url=f"http://127.0.0.1:{traced_actions}")
    )
    tracing.install(gw.app, provider, start_traces_here=True)
    gw.app.state.upstream_session = create_session(
        5, 5, trace_configs=tracing.client_trace_configs(provider)
    )
    try:
        async with gw.http:
            headers = await gw.bearer(("actions:read",))
            exporter.clear()
            r = await gw.http.get(
                "/v1/plans?status=active", headers=headers | {"traceparent": FORGED}
            )
            assert r.status_code == 200, r.text
    finally:
        await gw.app.state.upstream_session.close()

    spans = exporter.get_finished_spans()
    by_id = {s.context.span_id: s for s in spans}
    roots = [s for s in spans if s.parent is None]
    assert len(roots) == 1, [s.name for s in roots]
    gateway_span = roots[0]
    assert gateway_span.kind is SpanKind.SERVER
    # one trace, started by the gateway, not the id the caller sent
    assert {s.context.trace_id for s in spans} == {gateway_span.context.trace_id}
    assert f"{gateway_span.context.trace_id:032x}" not in FORGED

    # gateway (server) → its upstream call (client) → the service (server) → its queries
    client = [s for s in spans if s.kind is SpanKind.CLIENT and "db.system" not in s.attributes]
    assert len(client) == 1
    assert parent_of(client[0]) == gateway_span.context.span_id
    service = [s for s in spans if s.kind is SpanKind.SERVER and s is not gateway_span]
    assert len(service) == 1
    assert parent_of(service[0]) == client[0].context.span_id
    queries = [s for s in spans if "db.system" in (s.attributes or {})]
    assert queries, [s.name for s in spans]
    for query in queries:
        ancestor: ReadableSpan | None = query
        while ancestor is not None and ancestor is not service[0]:
            ancestor = by_id.get(parent_of(ancestor) or -1)
        assert ancestor is service[0], query.name
    statements = " ".join(str(q.attributes.get("db.statement", "")) for q in queries)
    assert "plan" in statements.lower()

    # nothing of the query string leaves in a span
    for s in spans:
        for key in tracing.URL_ATTRIBUTES:
            assert "status=" not in str((s.attributes or {}).get(key, "")), (s.name, key)


def test_tracing_is_off_without_an_endpoint() -> None:
    assert tracing.provider_for(ServiceSettings()) is None
    assert tracing.client_trace_configs(None) == []
    on = ServiceSettings(otlp_endpoint="http://127.0.0.1:4318")
    made = tracing.provider_for(on)
    assert made is not None
    made.shutdown()
