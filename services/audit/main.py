"""The audit service: quality-assurance case audits and the tamper-evident trail."""

from __future__ import annotations

from fastapi import FastAPI

from services.audit.audits.router import router as audits_router
from services.audit.config import AuditSettings
from services.audit.findings.router import router as findings_router
from services.audit.notices import task as notices
from services.audit.programmes.router import router as programmes_router
from services.audit.statistics.router import router as statistics_router
from services.audit.tools.router import router as tools_router
from services.audit.trail import ticker
from services.audit.trail.anchor import Anchor
from services.audit.trail.router import router as trail_router
from services.audit.trail.signing import CheckpointSigner
from shared.app import build_app


def create_app(settings: AuditSettings) -> FastAPI:
    start_notices, stop_notices = notices.hooks(settings)
    app = build_app(
        settings,
        title="Audit service",
        description="Quality-assurance case audits (tools, programmes, graded audits, findings, "
        "re-checks) and the append-only, hash-chained trail of every change and "
        "sensitive read.",
        routers=[
            tools_router,
            programmes_router,
            audits_router,
            findings_router,
            statistics_router,
            trail_router,
        ],
        on_startup=[ticker.start, *start_notices],
        on_shutdown=[*stop_notices, ticker.stop],
    )
    app.state.trail_signer = CheckpointSigner.from_settings(settings)
    path = settings.anchor_file
    app.state.trail_anchor = Anchor(path) if path is not None else None
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(AuditSettings())
