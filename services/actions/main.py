"""The actions service: the improvement plan, its actions, progress, sprints and risks."""

from __future__ import annotations

from fastapi import FastAPI

from services.actions.actions.router import router as actions_router
from services.actions.board.router import router as board_router
from services.actions.config import ActionsSettings
from services.actions.criteria.router import router as criteria_router
from services.actions.db import outbox
from services.actions.plans.router import router as plans_router
from services.actions.recommendations.router import router as recommendations_router
from services.actions.reminders.router import router as reminders_router
from services.actions.reminders.task import hooks
from services.actions.risks.router import router as risks_router
from services.actions.sprints.router import router as sprints_router
from shared.app import build_app
from shared.relay import relay_hooks


def create_app(settings: ActionsSettings) -> FastAPI:
    on_startup, on_shutdown = hooks(settings)
    start_relay, stop_relay = relay_hooks(settings, outbox)
    return build_app(
        settings,
        title="Actions service",
        description="The improvement plan: themes, success criteria, actions, steps, owners, "
        "sprints, progress updates, RAG, success criteria → indicator links, recommendations "
        "(Ofsted's and the LSCB's), risks and board summaries.",
        routers=[
            plans_router,
            criteria_router,
            actions_router,
            sprints_router,
            recommendations_router,
            risks_router,
            board_router,
            reminders_router,
        ],
        on_startup=[*on_startup, start_relay],
        on_shutdown=[stop_relay, *on_shutdown],
    )


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(ActionsSettings())
