"""Children in need per month (``in_need``): the bits form and the pairs form give the same
counts, and both give the counts worked out here from the episodes themselves, at the
authority, each team and each worker, on random episodes: several per child, overlapping,
open, closed before they started, starting or ending on a month's first or last day, and
outside the window."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.imports import in_need
from services.kpis.imports.compute import Scope

AUTHORITY = "TESTLA"

Episode = tuple[str, date, date | None, str | None, str | None]


def _month_end(month: date) -> date:
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _months(first: date, last: date) -> list[date]:
    found, month = [], first
    while month <= last:
        found.append(month)
        month = _month_end(month) + timedelta(days=1)
    return found


def _expected(episodes: list[Episode], first: date, last: date) -> list[tuple[date, str, int]]:
    """Each month, each org: the children with an episode open on any of its days."""
    counts: dict[tuple[date, str], set[str]] = {}
    for month in _months(first, last):
        end = _month_end(month)
        for child, start, closed, team, worker in episodes:
            if start <= end and (closed is None or closed >= month):
                for org in (AUTHORITY, team, worker):
                    if org is not None:
                        counts.setdefault((month, org), set()).add(child)
    return sorted((month, org, len(children)) for (month, org), children in counts.items())


def _episodes(rng: random.Random, first: date, last: date) -> list[Episode]:
    span = (_month_end(last) - first).days
    edges = [m for month in _months(first, last) for m in (month, _month_end(month))]
    found: list[Episode] = []
    for n in range(400):
        child = f"child{n % 150:04d}"  # several episodes per child
        if rng.random() < 0.3:
            start = rng.choice(edges) + timedelta(days=rng.choice((-1, 0, 0, 1)))
        else:
            start = first + timedelta(days=rng.randrange(-400, span + 60))
        roll = rng.random()
        closed: date | None
        if roll < 0.3:
            closed = None
        elif roll < 0.4:
            closed = start - timedelta(days=rng.randrange(0, 40))  # closed before it started
        elif roll < 0.55:
            closed = rng.choice(edges)
        else:
            closed = start + timedelta(days=rng.randrange(0, 500))
        team = rng.choice((None, "T1", "T2", "T3"))
        worker = rng.choice((None, "W1", "W2", "W3", "W4")) if team else None
        found.append((child, start, closed, team, worker))
    return found


async def _store(session: AsyncSession, import_id: uuid.UUID, episodes: list[Episode]) -> None:
    await session.execute(
        text(
            "INSERT INTO kpis.import_job (id, kind, status, file_sha256, agency, created_by) "
            "VALUES (:id, 'annex_a', 'running', :sha, 'council', 'test')"
        ),
        {"id": import_id, "sha": uuid.uuid4().hex * 2},
    )
    await session.execute(
        text(
            "INSERT INTO kpis.cm_cin_episode (import_id, child, start_date, end_date, team, "
            "worker) VALUES (:import_id, :child, :start, :closed, :team, :worker)"
        ),
        [
            {"import_id": import_id, "child": c, "start": s, "closed": e, "team": t, "worker": w}
            for c, s, e, t, w in episodes
        ],
    )


WINDOWS = [
    (date(2023, 4, 1), date(2024, 3, 1)),  # a collection year
    (date(2024, 2, 1), date(2024, 2, 1)),  # one month (a leap February)
    (date(2019, 1, 1), date(2024, 2, 1)),  # 62 months: the most the bits hold
    (date(2019, 1, 1), date(2024, 3, 1)),  # 63 months: counted as pairs
]


@pytest.mark.parametrize(("first", "last"), WINDOWS)
async def test_both_forms_count_what_the_episodes_say(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch, first: date, last: date
) -> None:
    rng = random.Random(f"{first}{last}")
    episodes = _episodes(rng, first, last)
    import_id = uuid.uuid4()
    await _store(session, import_id, episodes)
    scope = Scope(import_id, AUTHORITY, first, last, _month_end(last), 2023, None)
    params = {"import_id": import_id, "authority": AUTHORITY, "first": first, "last": last}
    expected = _expected(episodes, first, last)
    assert len({org for _, org, _ in expected}) == 8  # every level has figures

    found = sorted(await in_need.children_in_need(session, scope, params))
    monkeypatch.setattr(in_need, "_BITS", 0)
    as_pairs = sorted(await in_need.children_in_need(session, scope, params))

    assert found == expected
    assert as_pairs == expected
