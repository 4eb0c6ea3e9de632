"""The gateway: the platform's single front door."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware import Middleware

from services.gateway.agencies.router import router as agencies_router
from services.gateway.clients.router import router as clients_router
from services.gateway.config import GatewaySettings
from services.gateway.db import outbox
from services.gateway.edges import (
    BodyLimitMiddleware,
    BodyLimits,
    CORSByPath,
    OAuthErrorsMiddleware,
    PathGuardMiddleware,
)
from services.gateway.hashing import SecretHasher
from services.gateway.keys.denylist import DenyList
from services.gateway.keys.keyring import Keyring, check_unwrap, ensure_signing_key
from services.gateway.keys.router import router as keys_router
from services.gateway.openapi.merge import install_merged_openapi
from services.gateway.ratelimit.address import ClientAddress
from services.gateway.ratelimit.limiter import RateLimiter
from services.gateway.routing.breaker import Breaker
from services.gateway.routing.hotpath import HotPath
from services.gateway.routing.internal import InternalTokens
from services.gateway.routing.router import install_proxy, upstream_health
from services.gateway.routing.upstream import create_session
from services.gateway.scrape import MetricsAccess
from services.gateway.signin.router import router as signin_router
from services.gateway.tokens.router import router as tokens_router
from services.gateway.tokens.verify import TokenVerifier
from services.gateway.users.router import router as users_router
from shared import tracing
from shared.app import build_app
from shared.http import create_http_client
from shared.identity import InternalTokenMinter
from shared.logs import get_logger
from shared.problems import LastResortMiddleware
from shared.relay import relay_hooks

log = get_logger("gateway")


def create_app(settings: GatewaySettings) -> FastAPI:
    async def open_client(app: FastAPI) -> None:
        app.state.upstream_client = create_http_client(
            timeout_s=settings.upstream_timeout_s,
            connect_timeout_s=settings.upstream_connect_timeout_s,
        )
        app.state.upstream_session = create_session(
            settings.upstream_timeout_s,
            settings.upstream_connect_timeout_s,
            trace_configs=tracing.client_trace_configs(app.state.tracer_provider),
        )

    async def close_client(app: FastAPI) -> None:
        await app.state.upstream_session.close()
        await app.state.upstream_client.aclose()
        idp_client = getattr(app.state, "idp_client", None)
        if idp_client is not None:
            await idp_client.aclose()

    async def first_key(app: FastAPI) -> None:
        # a wrapping key that cannot open the stored keys stops start-up (WrappingKeyError)
        try:
            async with app.state.sessionmaker() as session, session.begin():
                await check_unwrap(session, wrapper)
                if await ensure_signing_key(session, wrapper):
                    log.info("key.created_first")
        except (OSError, SQLAlchemyError) as exc:  # the database may come later
            log.warning("key.check_failed", error_type=type(exc).__name__)

    wrapper = settings.key_wrapper()
    relay_start, relay_stop = relay_hooks(settings, outbox)
    app = build_app(
        settings,
        title="Improvement platform gateway",
        description="The single front door: partner-agency authentication, routing to the "
        "actions, kpis and audit services, rate limits, request ids.",
        routers=[
            tokens_router,
            signin_router,
            agencies_router,
            clients_router,
            users_router,
            keys_router,
        ],
        on_startup=[open_client, first_key, relay_start],
        on_shutdown=[relay_stop, close_client],
        health_details=upstream_health,
        metrics_dependencies=[MetricsAccess],
        trace_requests=False,
    )
    state = app.state
    state.hasher = SecretHasher.from_settings(settings)
    state.keyring = Keyring(lambda: state.sessionmaker, settings.key_cache_s, wrapper)
    state.denylist = DenyList(lambda: state.sessionmaker, settings.deny_cache_s)
    state.tokens = TokenVerifier(
        settings, state.keyring, state.denylist, lambda: state.upstream_client
    )
    state.limiter = RateLimiter(settings)
    state.client_address = ClientAddress(settings.trusted_networks(), settings.forwarded_header)
    state.breakers = {
        name: Breaker(settings.breaker_threshold, settings.breaker_reset_s)
        for name in settings.upstreams()
    }
    private = settings.internal_jwt_private_key
    state.internal_tokens = (
        InternalTokens(
            InternalTokenMinter(
                private.get_secret_value(),
                kid="gateway-internal",
                issuer=settings.internal_jwt_issuer,
            ),
            settings.internal_token_ttl_s,
        )
        if private is not None
        else None
    )
    install_proxy(app)
    install_merged_openapi(app)
    # inside the request-id scope (so 400 and 413 problems carry the id), outside the last
    # resort: first the path's one spelling (every later layer judges the forwarded path),
    # then the body cap; the hot path innermost, inside every shared layer
    last_resort = next(
        i for i, m in enumerate(app.user_middleware) if m.cls is LastResortMiddleware
    )
    app.user_middleware.insert(
        last_resort,
        Middleware(
            BodyLimitMiddleware,
            limits=BodyLimits.of(settings),
        ),
    )
    app.user_middleware.insert(last_resort, Middleware(PathGuardMiddleware))
    # outside them all (but inside the request id): the token endpoint's refusals by any
    # later layer stay RFC 6749 JSON
    app.user_middleware.insert(last_resort, Middleware(OAuthErrorsMiddleware))
    cors_origins = settings.effective_cors_origins()
    if cors_origins:
        app.add_middleware(CORSByPath, origins=cors_origins)
    # outside every layer: /v1/<resource of a service> is answered by one layer doing what
    # each of them does (routing/hotpath.py); every other request takes the full stack
    full_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: HotPath(  # type: ignore[method-assign]
        full_stack(), settings, app.state.metrics
    )
    # outside even the hot path, and every trace starts here (shared/tracing.py)
    tracing.install(app, app.state.tracer_provider, start_traces_here=True)
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(GatewaySettings())
