"""The KPI service: indicators, partner submissions, approval, publication and imports."""

from __future__ import annotations

from fastapi import FastAPI

from services.kpis.config import KpisSettings
from shared.app import build_app


def create_app(settings: KpisSettings) -> FastAPI:
    return build_app(
        settings,
        title="KPI service",
        description="Indicators and their versions, org units, partner-submitted values with "
        "revisions, approval and locked publication, targets, benchmarks, drill-down "
        "and case-management imports.",
        routers=[],
    )


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(KpisSettings())
