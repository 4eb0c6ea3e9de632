"""The skeleton every service's ``create_app(settings)`` builds on.

It wires logging, request ids, metrics, security headers, problem+json errors, the engine
and request-scoped sessions, the internal-token verifier, and ``/healthz``, ``/readyz``,
``/metrics``. The service adds its routers and anything its lifespan must own.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from shared import tracing
from shared.config import ServiceSettings
from shared.db import create_engine, create_sessionmaker, database_ready, install_database_handlers
from shared.identity import InternalTokenVerifier
from shared.logs import configure_logging, get_logger
from shared.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from shared.openapi import hoist_defs, operation_id
from shared.problems import (
    PROBLEM_RESPONSES,
    LastResortMiddleware,
    install_problem_handlers,
    problem_response,
)
from shared.request_id import RequestIdMiddleware
from shared.web import SecurityHeadersMiddleware

Hook = Callable[[FastAPI], Awaitable[None]]
HealthDetails = Callable[[Request], Awaitable[dict[str, Any]]]
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
log = get_logger("app")


def settle_heap() -> None:
    """Collect once, then move every object alive into the permanent generation.

    What start-up loaded (modules, the ORM's metadata, the app, ~200k objects) lives as long
    as the process, yet every full collection scanned it again: 0.15-0.3 s per
    million-row import, in its serial phases (indicators, values hand-over). Frozen, a full
    collection scans only what was made since (measured: ~0.02 s).
    """
    gc.collect()
    gc.freeze()


def build_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str = "0.1.0",
    routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    use_database: bool = True,
    health_details: HealthDetails | None = None,
    metrics_dependencies: Sequence[Any] = (),
    trace_requests: bool = True,
) -> FastAPI:
    """``trace_requests=False``: the caller installs the tracing middleware itself, after it
    changed the middleware stack (the gateway's hot path; ``shared.tracing.install``)."""
    configure_logging(settings.log_level, json=settings.json_logs, service=settings.service_name)
    tracer_provider = tracing.provider_for(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if use_database:
            app.state.engine = create_engine(settings)
            app.state.sessionmaker = create_sessionmaker(app.state.engine)
            tracing.trace_engine(app.state.engine, app.state.tracer_provider)
        for hook in on_startup:
            await hook(app)
        if settings.heap_frozen_after_start:
            settle_heap()
        log.info("service.started", port=settings.port)
        try:
            yield
        finally:
            for hook in reversed(on_shutdown):
                await hook(app)
            if use_database:
                await app.state.engine.dispose()
            tracing.shutdown(app.state.tracer_provider)
            log.info("service.stopped")

    app = FastAPI(
        title=title,
        description=description + "\n\n" + settings_table(settings),
        version=version,
        lifespan=lifespan,
        docs_url="/docs" if settings.serves_docs else None,
        redoc_url="/redoc" if settings.serves_docs else None,
        openapi_url="/openapi.json",
        responses=PROBLEM_RESPONSES,
        generate_unique_id_function=operation_id,
        # no redirect to a path with(out) a trailing slash: built from the Host header, it
        # named a service's internal address through the gateway (issue 18 item 3)
        redirect_slashes=False,
    )
    _resolvable_openapi(app)
    app.state.settings = settings
    app.state.metrics = Metrics(settings.service_name)
    if settings.internal_jwt_public_key is not None:
        app.state.verifier = InternalTokenVerifier(
            settings.internal_jwt_public_key.get_secret_value(),
            issuer=settings.internal_jwt_issuer,
            audience=settings.service_name,
        )
    install_problem_handlers(app)
    install_database_handlers(app)
    app.include_router(_health_router(use_database, health_details, metrics_dependencies))
    for router in routers:
        app.include_router(router)
    # Outermost last: request id first so every later layer (and its logs) sees it.
    app.add_middleware(LastResortMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)
    app.state.tracer_provider = tracer_provider
    if trace_requests:
        tracing.install(app, tracer_provider)
    return app


def _resolvable_openapi(app: FastAPI) -> None:
    """``app.openapi()`` with every hand-inlined ``$defs`` moved where references resolve."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return hoist_defs(generate())

    app.openapi = openapi  # type: ignore[method-assign]


def settings_table(settings: ServiceSettings) -> str:
    """The service's settings as a Markdown table for its OpenAPI description."""
    prefix = str(settings.model_config.get("env_prefix", "")).upper()
    rows = ["## Settings (environment variables)", "", "| variable | default | meaning |"]
    rows.append("|---|---|---|")
    for name, field in sorted(type(settings).model_fields.items()):
        secret = "SecretStr" in repr(field.annotation)
        default = "(secret)" if secret else repr(field.default)
        if field.is_required():
            default = "(required)"
        meaning = (field.description or "").replace("|", "/")
        rows.append(f"| `{prefix}{name.upper()}` | {default.replace('|', '/')} | {meaning} |")
    return "\n".join(rows)


def _health_router(
    use_database: bool, details: HealthDetails | None, metrics_dependencies: Sequence[Any] = ()
) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz(request: Request) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok", "service": request.app.state.settings.service_name}
        if details is not None:
            body.update(await details(request))
        return body

    @router.get(
        "/readyz",
        summary="Readiness: the database is reachable",
        responses={503: {"description": "not ready"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        name = request.app.state.settings.service_name
        if use_database and not await database_ready(request.app.state.engine):
            return problem_response(
                503,
                code="not-ready",
                title="Not ready",
                detail="database unreachable",
                extensions={"service": name},
                headers={"Retry-After": "2"},
            )
        return JSONResponse({"status": "ready", "service": name})

    router.add_api_route(
        "/metrics",
        metrics_endpoint,
        methods=["GET"],
        summary="Prometheus metrics",
        include_in_schema=True,
        response_model=None,
        response_class=PlainTextResponse,  # documents text/plain, what it sends
        dependencies=list(metrics_dependencies),
    )
    return router
