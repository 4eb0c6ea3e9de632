"""Seed data of the KPI service (``python -m services.kpis.seed``; safe to run again).

Loads the indicator catalogue (version 1 of each), benchmarks, targets, populations and the
Wirral org-unit tree from :mod:`services.kpis.catalogue`. Existing rows are left alone.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.kpis import catalogue
from services.kpis.config import KpisSettings
from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit
from services.kpis.reference.models import Benchmark, Population, Target
from shared.logs import get_logger

log = get_logger(__name__)


async def seed(session: AsyncSession) -> None:
    await session.execute(
        insert(Indicator)
        .values(
            [
                {
                    "code": m.code,
                    "version": 1,
                    "is_current": True,
                    "name": m.name,
                    "themes": list(m.themes),
                    "unit": m.unit,
                    "polarity": m.polarity,
                    "frequency": m.frequency,
                    "kind": m.kind,
                    "source_agency": m.agency,
                    "definition": m.definition,
                    "numerator_definition": m.numerator,
                    "denominator_definition": m.denominator,
                    "authoritative_source": catalogue.authoritative_source(m.code),
                }
                for m in catalogue.MEASURES
            ]
        )
        .on_conflict_do_nothing()
    )
    for code, level, parent, name in catalogue.ORG_UNITS:
        parent_id = None
        if parent is not None:
            parent_id = await session.scalar(
                select(OrgUnit.org_unit_id).where(OrgUnit.code == parent)
            )
        await session.execute(
            insert(OrgUnit)
            .values(code=code, level=level, parent_id=parent_id, name=name)
            .on_conflict_do_nothing()
        )
    await session.execute(
        insert(Benchmark)
        .values(
            [
                {
                    "indicator_code": i,
                    "comparator": c,
                    "period_label": p,
                    "value": Decimal(v),
                    "source": s,
                }
                for i, c, p, v, s in catalogue.BENCHMARKS
            ]
        )
        .on_conflict_do_nothing()
    )
    await session.execute(
        insert(Target)
        .values(
            [
                {
                    "indicator_code": i,
                    "financial_year": y,
                    "value": Decimal(v),
                    "amber_tolerance": Decimal(t),
                }
                for i, y, v, t in catalogue.TARGETS
            ]
        )
        .on_conflict_do_nothing()
    )
    await session.execute(
        insert(Population)
        .values(
            [
                {"area_code": a, "year": y, "children_0_17": n, "source": s}
                for a, y, n, s in catalogue.POPULATIONS
            ]
        )
        .on_conflict_do_nothing()
    )
    await session.flush()


async def _main() -> None:
    settings = KpisSettings()
    engine = create_async_engine(settings.database_url.get_secret_value())
    try:
        async with AsyncSession(engine) as session:
            await seed(session)
            await session.commit()
    finally:
        await engine.dispose()
    log.info("kpis.seeded", indicators=len(catalogue.MEASURES))


if __name__ == "__main__":
    asyncio.run(_main())
