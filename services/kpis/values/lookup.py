"""Resolving indicator and org-unit codes in bulk (one query each)."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
    session: AsyncSession, codes: Iterable[str], parent_id: int
) -> dict[str, tuple[int, str]]:
    """Create teams (or workers, for staff codes) under ``parent_id``; existing codes kept."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    levels = ["worker" if WORKER_CODE.match(c) else "team" for c in wanted]
    await session.execute(
        text(
            "INSERT INTO kpis.org_unit (code, level, parent_id) SELECT c, l, :parent "
            "FROM unnest(CAST(:codes AS varchar[]), CAST(:levels AS varchar[])) AS t(c, l) "
            "ON CONFLICT (code) DO NOTHING"
        ),
        {"codes": wanted, "levels": levels, "parent": parent_id},
    )
    return await org_units_by_code(session, wanted)
