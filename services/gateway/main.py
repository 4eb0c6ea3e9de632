"""The gateway: the platform's single front door."""

from __future__ import annotations

from fastapi import FastAPI

from services.gateway.config import GatewaySettings
from services.gateway.routing.router import install_proxy, upstream_health
from shared.app import build_app
from shared.http import create_http_client


def create_app(settings: GatewaySettings) -> FastAPI:
    async def open_client(app: FastAPI) -> None:
        app.state.upstream_client = create_http_client(
            timeout_s=settings.upstream_timeout_s,
            connect_timeout_s=settings.upstream_connect_timeout_s,
        )

    async def close_client(app: FastAPI) -> None:
        await app.state.upstream_client.aclose()

    app = build_app(
        settings,
        title="Improvement platform gateway",
        description="The single front door: partner-agency authentication, routing to the "
        "actions, kpis and audit services, rate limits, request ids.",
        on_startup=[open_client],
        on_shutdown=[close_client],
        health_details=upstream_health,
    )
    install_proxy(app)
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(GatewaySettings())
