"""Fixtures of the board service's tests: the app bound to a rolled-back connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from services.board.config import BoardSettings
from services.board.main import create_app
from shared.identity import Caller
from tests.support.apps import bind_app, client_for
from tests.support.tokens import auth_header, caller

CLERK = caller("council", ("board_admin",), subject="clerk")
MANAGER = caller("council", ("plan_manager",), subject="manager")
VIEWER = caller("police", ("viewer",), subject="officer")


def as_(who: Caller) -> dict[str, str]:
    return auth_header(who, "board")


def meeting(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "meeting_type": "improvement-board",
        "meeting_date": "2026-03-10",
        "title": "Improvement Board, March",
        "attendees": [
            {"agency": "council", "person_name": "A. Jones", "person_role": "DCS"},
            {"agency": "police", "person_name": "B. Smith", "person_role": "Superintendent"},
        ],
        "agenda": [{"title": "Plan progress"}, {"title": "Performance report"}],
        "decisions": [{"decision": "Escalate 1A1 to the clinic", "agenda_position": 1}],
        "actions_arising": [
            {"description": "Report on 1A1 delays", "plan_action_ref": "1A1", "owner": "DCS"},
            {"description": "Draft a new front-door action"},
        ],
    }
    body.update(overrides)
    return body


@pytest.fixture
def board_app(board_connection: AsyncConnection) -> FastAPI:
    return bind_app(create_app(BoardSettings(profile="test")), board_connection, audience="board")


@pytest.fixture
async def client(board_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(board_app) as c:
        yield c
