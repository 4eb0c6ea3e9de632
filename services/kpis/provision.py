"""Production seed of the KPI service: the standard indicator catalogue and the authority's
organisation tree from a file. Safe to run again: what is there already is left alone.

``python -m services.kpis.provision --org-units FILE`` (or ``PROVISION_ORG_UNITS``; the
production bootstrap runs it:
``python -m shared.bootstrap production``). Reads ``KPIS_DATABASE_URL`` and
``KPIS_AUTHORITY_CODE``, which must name the file's authority: the imports file their figures
under that code, so the bootstrap refuses a tree that disagrees with it.

The catalogue (``standard_catalogue.json``) is the DfE and Ofsted measures with no
authority's plan themes, targets or demo figures (those are ``services/kpis/seed.py``). The
tree file is CSV with the header ``code,level,parent,name``: one ``authority`` with no parent,
then ``service``, ``locality`` and ``team`` rows whose parent is a row of a higher level
(``deploy/examples/wirral-org-units.csv``). A unit already stored with another level, parent
or name, or another authority, stops the run with nothing written: a tree is never silently
rewritten; units stored but not in the file are left alone.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from services.kpis.indicators.models import Indicator
from services.kpis.orgunits.models import OrgUnit

CATALOGUE = Path(__file__).with_name("standard_catalogue.json")
RANK = {"authority": 0, "service": 1, "locality": 2, "team": 3}
HEADER = ["code", "level", "parent", "name"]


class TreeError(ValueError):
    """The org-unit file, or its agreement with the database, is wrong; nothing was written."""


@dataclass(frozen=True)
class Unit:
    code: str
    level: str
    parent: str | None
    name: str


def standard_measures() -> list[dict[str, Any]]:
    measures: list[dict[str, Any]] = json.loads(CATALOGUE.read_text())["measures"]
    return measures


def read_tree(path: Path) -> list[Unit]:
    """The file's units, parents first; every problem found, by line, in one error."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    if not rows or [c.strip().lower() for c in rows[0]] != HEADER:
        raise TreeError(f"{path.name}: the first line must be {','.join(HEADER)}")
    units: list[Unit] = []
    problems: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 4:
            problems.append(f"line {line}: 4 columns expected")
            continue
        code, level, parent, name = (c.strip() for c in row)
        if not code or len(code) > 60:
            problems.append(f"line {line}: code must be 1 to 60 characters")
        if level not in RANK:
            problems.append(f"line {line}: level must be one of {', '.join(RANK)}")
        if not name or len(name) > 200:
            problems.append(f"line {line}: name must be 1 to 200 characters")
        units.append(Unit(code, level, parent or None, name))
    by_code: dict[str, Unit] = {}
    for unit in units:
        if unit.code in by_code:
            problems.append(f"unit {unit.code}: listed twice")
        by_code[unit.code] = unit
    roots = [u for u in units if u.level == "authority"]
    if len(roots) != 1:
        problems.append(f"exactly one authority row expected, found {len(roots)}")
    for unit in units:
        if unit.level == "authority":
            if unit.parent is not None:
                problems.append(f"unit {unit.code}: the authority has no parent")
            continue
        above = by_code.get(unit.parent or "")
        if above is None:
            problems.append(
                f"unit {unit.code}: parent {unit.parent or '(none)'} is not in the file"
            )
        elif RANK.get(above.level, 99) >= RANK.get(unit.level, -1):
            problems.append(f"unit {unit.code}: a {unit.level} cannot sit under a {above.level}")
    if problems:
        raise TreeError(f"{path.name}: " + "; ".join(problems))
    return sorted(units, key=lambda u: RANK[u.level])


def authority_of(units: list[Unit]) -> str:
    return next(u.code for u in units if u.level == "authority")


async def load_catalogue(session: AsyncSession) -> int:
    """Insert the standard measures not yet in the catalogue (version 1); how many were new."""
    rows = [m | {"version": 1, "is_current": True} for m in standard_measures()]
    result = await session.execute(
        insert(Indicator).values(rows).on_conflict_do_nothing().returning(Indicator.code)
    )
    return len(result.all())


async def load_tree(session: AsyncSession, units: list[Unit]) -> int:
    """Add the file's units the database lacks; refuse any that differ. How many were new."""
    stored = {u.code: u for u in (await session.scalars(select(OrgUnit))).all()}
    ids = {u.org_unit_id: u.code for u in stored.values()}
    authority = authority_of(units)
    other = sorted(c for c, u in stored.items() if u.level == "authority" and c != authority)
    if other:
        raise TreeError(
            f"the database already holds authority {', '.join(other)}; the file's is {authority}"
        )
    differ = []
    for unit in units:
        have = stored.get(unit.code)
        if have is None:
            continue
        parent = ids.get(have.parent_id) if have.parent_id is not None else None
        if (have.level, parent, have.name) != (unit.level, unit.parent, unit.name):
            differ.append(unit.code)
    if differ:
        raise TreeError(
            "stored units differ from the file (level, parent or name): "
            + ", ".join(differ)
            + "; change them through the API, or correct the file"
        )
    added = 0
    for unit in units:
        if unit.code in stored:
            continue
        parent_id = stored[unit.parent].org_unit_id if unit.parent else None
        row = OrgUnit(code=unit.code, level=unit.level, parent_id=parent_id, name=unit.name)
        session.add(row)
        await session.flush()
        stored[unit.code] = row
        added += 1
    return added


async def provision(session: AsyncSession, units: list[Unit], authority_code: str) -> str:
    if authority_code != authority_of(units):
        raise TreeError(
            f"KPIS_AUTHORITY_CODE is {authority_code} but the file's authority is "
            f"{authority_of(units)}: they must agree (the imports file figures under it)"
        )
    measures = await load_catalogue(session)
    added = await load_tree(session, units)
    return (
        f"kpis: standard catalogue {len(standard_measures())} measures ({measures} new); "
        f"organisation tree of {authority_code}: {len(units)} units ({added} new)"
    )


async def _main(tree_file: Path) -> int:
    url = os.environ.get("KPIS_DATABASE_URL", "")
    code = os.environ.get("KPIS_AUTHORITY_CODE", "")
    if not url or not code:
        raise SystemExit("kpis provision: set KPIS_DATABASE_URL and KPIS_AUTHORITY_CODE")
    try:
        units = read_tree(tree_file)
        engine = create_async_engine(url)
        try:
            async with AsyncSession(engine) as session, session.begin():
                summary = await provision(session, units, code)
        finally:
            await engine.dispose()
    except TreeError as exc:
        print(f"kpis provision refused: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.kpis.provision")
    parser.add_argument(
        "--org-units",
        type=Path,
        default=os.environ.get("PROVISION_ORG_UNITS") or None,
        help="CSV org-unit tree (default: PROVISION_ORG_UNITS)",
    )
    args = parser.parse_args()
    if args.org_units is None:
        parser.error("name the org-unit file: --org-units FILE or PROVISION_ORG_UNITS")
    return asyncio.run(_main(Path(args.org_units)))


if __name__ == "__main__":
    sys.exit(main())
