"""OpenTelemetry traces: gateway → service → database as one trace, exported over OTLP.

Off by default, and then nothing of it runs: no middleware, no client hook, no engine
listener (the gateway's hot path is exactly as without it). ``<SERVICE>_OTLP_ENDPOINT``
(an OpenTelemetry Collector's OTLP/HTTP address, e.g. ``http://otel-collector:4318``)
switches it on for that service. Then:

- each request gets a server span (the ASGI middleware, outside every other layer);
- the gateway's forwarding session (aiohttp) gets a client span per upstream call and sends
  the W3C ``traceparent`` header, so the service's server span joins the same trace;
- each SQL statement on the service's engine gets a span under the request's.

The gateway starts every trace itself: a caller's own ``traceparent`` / ``tracestate`` /
``baggage`` headers are dropped before the middleware reads them (a caller cannot join its
requests to someone else's trace, nor choose the ids our traces carry). Spans carry route,
method, status and the statement text (parameters are bound, never in the text); never
bodies, tokens or query strings' values (the ASGI middleware records the route template).

Tests pass their own ``TracerProvider`` (an in-memory exporter) to :func:`install`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp, Receive, Scope, Send

    from shared.config import ServiceSettings

#: Inbound headers that would let a caller choose or join a trace (dropped at the gateway).
TRACE_HEADERS = frozenset({b"traceparent", b"tracestate", b"baggage"})


def provider_for(settings: ServiceSettings) -> TracerProvider | None:
    """The service's provider exporting over OTLP/HTTP, or ``None`` when tracing is off."""
    if not settings.otlp_endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    return make_provider(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)),
        settings.service_name,
        settings.trace_sample_ratio,
    )


def make_provider(
    exporting: SpanProcessor, service: str, sample_ratio: float = 1.0
) -> TracerProvider:
    """A provider whose spans lose their query strings, then go to ``exporting``."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": service, "service.namespace": "improvement-platform"}
        ),
        sampler=ParentBased(TraceIdRatioBased(sample_ratio)),
    )
    provider.add_span_processor(_without_queries())
    provider.add_span_processor(exporting)
    return provider


#: Span attributes that may hold a URL's query string (old and new HTTP conventions).
URL_ATTRIBUTES = ("http.url", "url.full", "http.target")


def _strip_queries(span: Any, _scope: Any = None) -> None:
    """Query strings (a child's id in a filter, say) never leave in a span."""
    attributes = getattr(span, "attributes", None) or {}
    for key in URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(key, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def _without_queries() -> SpanProcessor:
    from opentelemetry.sdk.trace import SpanProcessor

    class WithoutQueries(SpanProcessor):
        """Every span, whoever started it, without a URL's query string."""

        def on_start(self, span: Any, parent_context: Any = None) -> None:
            _strip_queries(span)

    return WithoutQueries()


def install(
    app: FastAPI, provider: TracerProvider | None, *, start_traces_here: bool = False
) -> None:
    """Wrap ``app``'s whole middleware stack (whatever built it) in the server-span middleware.

    Call it last, after anything else replaced ``build_middleware_stack`` (the gateway's hot
    path), so every request is traced. ``start_traces_here``: drop the caller's trace
    headers first (the gateway)."""
    app.state.tracer_provider = provider
    if provider is None:
        return
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    build = app.build_middleware_stack

    def traced() -> ASGIApp:
        inner: ASGIApp = OpenTelemetryMiddleware(
            build(),
            tracer_provider=provider,
            excluded_urls="healthz,readyz,metrics",
            exclude_spans=["receive", "send"],
            server_request_hook=_strip_queries,
        )
        return _DropTraceHeaders(inner) if start_traces_here else inner

    app.build_middleware_stack = traced  # type: ignore[method-assign]


def trace_engine(engine: AsyncEngine, provider: TracerProvider | None) -> None:
    """A span for each statement ``engine`` runs (nothing when tracing is off)."""
    if provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import __version__
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import NoOpMeterProvider

    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    usage = (
        NoOpMeterProvider()
        .get_meter("opentelemetry.instrumentation.sqlalchemy")
        .create_up_down_counter("db.client.connections.usage")
    )
    EngineTracer(tracer, engine.sync_engine, usage)


def client_trace_configs(provider: TracerProvider | None) -> list[aiohttp.TraceConfig]:
    """aiohttp trace configs: a client span per call, ``traceparent`` sent upstream."""
    if provider is None:
        return []
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config

    return [create_trace_config(tracer_provider=provider, url_filter=_without_query)]


def shutdown(provider: TracerProvider | None) -> None:
    """Send what is still buffered (at the service's shutdown)."""
    if provider is not None:
        provider.shutdown()


def _without_query(url: Any) -> str:
    """Spans name the upstream path, never the query string's values."""
    return str(url.with_query(None))


class _DropTraceHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = scope["headers"]
            if any(name in TRACE_HEADERS for name, _ in headers):
                scope = dict(scope)
                scope["headers"] = [(n, v) for n, v in headers if n not in TRACE_HEADERS]
        await self.app(scope, receive, send)
