"""A partner's submission never replaces a figure that came from the indicator's
authoritative export: the row is refused, saying why, and the imported figure stays current."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import ComputedValue
from services.kpis.periods import Period
from services.kpis.values.intake import record_computed_values
from tests.kpis.conftest import COUNCIL_ANALYST
from tests.kpis.helpers import submit

MAY = Period.month(2017, 5)


async def _current(session: AsyncSession, code: str) -> list[tuple[object, ...]]:
    rows = await session.execute(
        text(
            "SELECT v.value, v.source FROM kpis.indicator_value v "
            "JOIN kpis.indicator i USING (indicator_id) JOIN kpis.org_unit o USING (org_unit_id) "
            "WHERE i.code = :code AND o.code = 'WIRRAL' AND v.is_current"
        ),
        {"code": code},
    )
    return [tuple(r) for r in rows]


async def test_a_submission_over_an_imported_authoritative_figure_is_refused(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    authoritative = await session.scalar(
        text("SELECT authoritative_source FROM kpis.indicator WHERE code = 'REFERRALS'")
    )
    assert authoritative not in (None, "submission")  # the test needs an import-owned figure
    imported = ComputedValue("REFERRALS", "month", MAY.start, MAY.end, "WIRRAL", value=Decimal(310))
    await record_computed_values(
        session,
        values=[imported],
        import_id="imp-auth",
        actor=COUNCIL_ANALYST,
        source_kind=authoritative,
    )
    await session.commit()
    before = await _current(session, "REFERRALS")
    row = {"indicator": "REFERRALS", "period": "2017-05", "org_unit": "WIRRAL", "value": 250}
    r = await submit(client, COUNCIL_ANALYST, [row], mode="partial")
    assert r.status_code in (200, 201), r.text
    [result] = r.json()["rows"]
    assert result["status"] == "rejected"
    assert any("authoritative" in reason for reason in result["reasons"]), result
    assert r.json()["accepted"] == 0
    assert await _current(session, "REFERRALS") == before
    assert before[0][0] == Decimal("310.0000") or before[0][0] == Decimal(310)
    # the same value as the import's is simply unchanged, not refused
    same = await submit(client, COUNCIL_ANALYST, [row | {"value": 310}], mode="partial")
    assert same.json()["rows"][0]["status"] == "unchanged", same.text
