"""The actions service: the improvement plan, its actions, progress, sprints and risks."""

from __future__ import annotations

from fastapi import FastAPI

from services.actions.config import ActionsSettings
from shared.app import build_app


def create_app(settings: ActionsSettings) -> FastAPI:
    return build_app(
        settings,
        title="Actions service",
        description="The improvement plan: themes, success criteria, actions, steps, owners, "
        "sprints, progress updates, RAG, Ofsted recommendations, risks and board summaries.",
        routers=[],
    )


def app_factory() -> FastAPI:
    """Entry point for ``uvicorn --factory``: settings come from the environment."""
    return create_app(ActionsSettings())
