"""Routers declare, inject, call a service and return (docs/conventions.md, "A domain package").

Every router of every service is parsed; one that imports sqlalchemy's statement builders,
runs a statement on a session or imports a repository fails, unless it is on ALLOWED below
(named in docs/conventions.md's known deviations). The list only shrinks: a router on it that
keeps the rules fails too, so its entry is removed when it is fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.layering import ROOT, routers, violations

PARALLEL = "changed in parallel during issue 21's first part; next stop"
NOT_YET = "not reached in issue 21's first part; next stop"

#: Routers allowed to break the layering for now, each with why.
ALLOWED: dict[str, str] = {}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_every_router_keeps_the_layering() -> None:
    broken = {
        _relative(p): v
        for p in routers()
        if _relative(p) not in ALLOWED and (v := violations(p.read_text(), str(p)))
    }
    assert broken == {}, "routers call services; SQL lives in repository.py"


def test_the_allow_list_only_names_routers_that_still_need_it() -> None:
    found = {_relative(p) for p in routers()}
    assert set(ALLOWED) <= found, "an allowed router no longer exists: drop its entry"
    kept = [name for name in ALLOWED if not violations((ROOT / name).read_text(), name)]
    assert kept == [], "these routers keep the layering now: drop them from ALLOWED"


def test_the_allow_list_is_named_in_the_conventions() -> None:
    conventions = (ROOT / "docs" / "conventions.md").read_text()
    assert "tests/test_layering.py" in conventions
    for name in ALLOWED:
        assert name.removeprefix("services/") in conventions, name


def test_routers_are_found() -> None:
    names = {_relative(p) for p in routers()}
    assert "services/actions/risks/router.py" in names
    assert "services/kpis/indicators/router.py" in names
    assert len(names) >= 20


CLEAN = """
from fastapi import APIRouter
from services.things import service
from shared.db import SessionDep

router = APIRouter()

@router.get("/things")
async def things(session: SessionDep) -> list[str]:
    return await service.things(session)
"""


def test_a_thin_router_passes() -> None:
    assert violations(CLEAN) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from sqlalchemy import select\n"
            "async def f(session):\n"
            "    return await session.scalars(select(Thing))\n",
            ["1: imports sqlalchemy select", "3: calls session.scalars"],
        ),
        ("from sqlalchemy.dialects.postgresql import insert\n", ["1: imports sqlalchemy insert"]),
        ("from sqlalchemy import text, update, delete\n", None),
        (
            "async def f(session):\n    await session.execute(stmt)\n",
            ["2: calls session.execute"],
        ),
        (
            "async def f(request):\n    return await request.state.session.get(Thing, 1)\n",
            ["2: calls session.get"],
        ),
        (
            "async def f(db_session):\n    return await db_session.scalar(stmt)\n",
            ["2: calls db_session.scalar"],
        ),
        (
            "import sqlalchemy as sa\nq = sa.select(Thing)\n",
            ["2: calls sa.select"],
        ),
        (
            "from services.things import repository as repo\n",
            ["1: imports a repository (services.things)"],
        ),
        (
            "from services.things.repository import Filters\n",
            ["1: imports a repository (services.things.repository)"],
        ),
        (
            "import services.things.repository\n",
            ["1: imports a repository (services.things.repository)"],
        ),
    ],
)
def test_a_router_that_runs_sql_or_reads_a_repository_fails(
    source: str, expected: list[str] | None
) -> None:
    found = violations(CLEAN + "\n" * 3 + source)
    assert found, "the checker let a router that runs SQL through"
    if expected is not None:
        offset = CLEAN.count("\n") + 3
        shifted = [f"{int(e.split(':')[0]) + offset}:{e.split(':', 1)[1]}" for e in expected]
        assert sorted(found) == sorted(shifted)


def test_the_old_risks_router_fails() -> None:
    """The router issue 21 names (13 SQL calls) is what the check exists to catch."""
    old = """
from sqlalchemy import func, insert, select, update
async def get_risk(session, risk_id):
    risk = await session.get(Risk, risk_id)
    await session.execute(update(Risk).where(Risk.risk_id == risk_id))
"""
    assert len(violations(old)) == 5
