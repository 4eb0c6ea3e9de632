"""The audit service: quality-assurance case audits and the tamper-evident trail."""

from __future__ import annotations

from fastapi import FastAPI

from services.audit.config import AuditSettings
from shared.app import build_app


def create_app(settings: AuditSettings) -> FastAPI:
    return build_app(
        settings,
        title="Audit service",
        description="Quality-assurance case audits (tools, programmes, graded audits, findings, "
        "re-checks) and the append-only, hash-chained trail of every change and "
        "sensitive read.",
        routers=[],
    )


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(AuditSettings())
