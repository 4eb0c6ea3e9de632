"""Resolving indicator and org-unit codes in bulk (one query each)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.values.rules import IndicatorInfo

#: Staff codes made by the imports (``W-`` + 12 hex digits) name workers. The pseudonymiser
#: writes upper-case hex (``W-3F2A…``); lower case is accepted too.
WORKER_CODE = re.compile(r"^W-[0-9A-Fa-f]{12}$")


async def indicators_by_code(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, IndicatorInfo]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            Indicator.indicator_id,
            Indicator.code,
            Indicator.version,
            Indicator.unit,
            Indicator.frequency,
            Indicator.source_agency,
            Indicator.authoritative_source,
        ).where(Indicator.code.in_(wanted), Indicator.is_current)
    )
    return {r.code: IndicatorInfo(*r) for r in rows.all()}


async def org_units_by_code(
    session: AsyncSession, codes: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """code → (org unit id, level)."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = await session.execute(
        select(OrgUnit.org_unit_id, OrgUnit.code, OrgUnit.level).where(OrgUnit.code.in_(wanted))
    )
    return {r.code: (r.org_unit_id, r.level) for r in rows.all()}


async def authority_id(session: AsyncSession) -> int | None:
    return await session.scalar(
        select(OrgUnit.org_unit_id)
        .where(OrgUnit.level == "authority")
        .order_by(OrgUnit.org_unit_id)
        .limit(1)
    )


async def create_missing_units(
    session: AsyncSession,
    codes: Iterable[str],
    parent_id: int,
    teams_of: Mapping[str, str] | None = None,
) -> dict[str, tuple[int, str]]:
    """Create teams under ``parent_id`` (the authority), then workers (staff codes) under
    their team (``teams_of``: worker code → team code; under ``parent_id`` when it names
    none). Existing units are kept, except that a worker an earlier import left directly
    under ``parent_id`` moves under the team now named for it."""
    wanted = sorted(set(codes))
    teams_of = teams_of or {}
    if not wanted and not teams_of:
        return {}
    teams = [c for c in wanted if not WORKER_CODE.match(c)]
    teams_needed = sorted(set(teams) | set(teams_of.values()))
    if teams_needed:
        await session.execute(
            text(
                "INSERT INTO kpis.org_unit (code, level, parent_id) SELECT c, 'team', :parent "
                "FROM unnest(CAST(:codes AS varchar[])) AS t(c) ON CONFLICT (code) DO NOTHING"
            ),
            {"codes": teams_needed, "parent": parent_id},
        )
    workers = sorted({c for c in wanted if WORKER_CODE.match(c)} | set(teams_of))
    if workers:
        await session.execute(
            text(
                "INSERT INTO kpis.org_unit (code, level, parent_id) "
                "SELECT w.c, 'worker', coalesce(t.org_unit_id, :parent) "
                "FROM unnest(CAST(:codes AS varchar[]), CAST(:teams AS varchar[])) AS w(c, team) "
                "LEFT JOIN kpis.org_unit t ON t.code = w.team AND t.level = 'team' "
                "ON CONFLICT (code) DO UPDATE SET parent_id = EXCLUDED.parent_id "
                "WHERE kpis.org_unit.level = 'worker' AND kpis.org_unit.parent_id = :parent "
                "AND EXCLUDED.parent_id <> :parent"
            ),
            {"codes": workers, "teams": [teams_of.get(w) for w in workers], "parent": parent_id},
        )
    return await org_units_by_code(session, wanted)
