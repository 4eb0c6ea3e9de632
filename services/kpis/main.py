"""The KPI service: indicators, partner submissions, approval, publication and imports."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from services.kpis.config import KpisSettings
from services.kpis.db import outbox
from services.kpis.imports.config import ImportSettings
from services.kpis.imports.folders import restore_temp_dir, sweep_abandoned, use_own_temp_dir
from services.kpis.imports.reconcile_router import router as reconciliation_router
from services.kpis.imports.router import router as imports_router
from services.kpis.imports.service import fail_interrupted
from services.kpis.indicators.router import router as indicators_router
from services.kpis.orgunits.router import router as orgunits_router
from services.kpis.reference.router import router as reference_router
from services.kpis.releases.router import router as releases_router
from services.kpis.releases.signing import signer_for
from services.kpis.series.router import router as series_router
from services.kpis.submissions.router import router as submissions_router
from services.kpis.values.router import router as values_router
from services.kpis.webhooks import task as webhook_task
from services.kpis.webhooks.router import router as webhooks_router
from shared.app import build_app
from shared.logs import get_logger
from shared.relay import relay_hooks

log = get_logger(__name__)


async def _sweep_abandoned_imports(app: FastAPI) -> None:
    await asyncio.to_thread(sweep_abandoned, app.state.import_settings)
    try:
        await fail_interrupted(app.state.sessionmaker)
    except (SQLAlchemyError, OSError) as exc:  # never fails start-up: the next one retries
        log.warning("imports.interrupted_jobs_unchecked", error=type(exc).__name__)


async def _use_own_temp_dir(app: FastAPI) -> None:
    app.state.previous_temp_dir = use_own_temp_dir(app.state.import_settings)


async def _restore_temp_dir(app: FastAPI) -> None:
    restore_temp_dir(getattr(app.state, "previous_temp_dir", None))


def create_app(settings: KpisSettings, imports: ImportSettings | None = None) -> FastAPI:
    start_relay, stop_relay = relay_hooks(settings, outbox)
    start_webhooks, stop_webhooks = webhook_task.hooks(settings)
    app = build_app(
        settings,
        title="KPI service",
        description="Indicators and their versions, org units, partner-submitted values with "
        "revisions, approval and locked publication, targets, benchmarks, drill-down "
        "and case-management imports.",
        routers=[
            indicators_router,
            orgunits_router,
            reference_router,
            submissions_router,
            values_router,
            series_router,
            releases_router,
            reconciliation_router,  # before /v1/imports/{import_id}
            imports_router,
            webhooks_router,
        ],
        on_startup=[start_relay, _sweep_abandoned_imports, _use_own_temp_dir, start_webhooks],
        on_shutdown=[stop_webhooks, _restore_temp_dir, stop_relay],
    )
    app.state.release_signer = signer_for(settings)
    # checked at start-up, so a placeholder pseudonymisation key fails early; ``imports``
    # (tests, benches) replaces the part read with ``settings``
    app.state.import_settings = imports or settings.import_settings()
    return app


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(KpisSettings())
