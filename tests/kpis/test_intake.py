"""Values handed over by imports: resolved, checked, recorded as draft revisions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kpis.contract import IMPORT_SOURCE, ComputedValue
from services.kpis.values.intake import record_computed_values
from shared.identity import Caller
from shared.problems import Conflict, Forbidden, InvalidInput
from tests.kpis.conftest import COUNCIL_ANALYST as ANALYST
from tests.kpis.conftest import POLICE_CLIENT


def month(code: str, unit: str, y: int, m: int, **kw: object) -> ComputedValue:
    from services.kpis.periods import Period

    p = Period.month(y, m)
    return ComputedValue(code, "month", p.start, p.end, unit, **kw)  # type: ignore[arg-type]


async def record(
    session: AsyncSession, values: list[ComputedValue], import_id: str, actor: Caller = ANALYST
) -> int:
    return await record_computed_values(session, values=values, import_id=import_id, actor=actor)


async def _rows(session: AsyncSession, code: str) -> list[tuple[object, ...]]:
    result = await session.execute(
        text(
            "SELECT o.code, o.level, v.revision, v.is_current, v.state, v.value, v.numerator, "
            "v.denominator, v.source, v.import_id FROM kpis.indicator_value v "
            "JOIN kpis.indicator i USING (indicator_id) JOIN kpis.org_unit o USING (org_unit_id) "
            "WHERE i.code = :code ORDER BY o.code, v.revision"
        ),
        {"code": code},
    )
    return [tuple(r) for r in result.all()]


async def test_records_new_values_and_skips_unchanged(session: AsyncSession) -> None:
    values = [
        month("REFERRALS", "WIRRAL", 2017, 5, value=Decimal(310)),
        month("ASSESS_45WD", "T-MASH", 2017, 5, numerator=40, denominator=50),
        month("ASSESS_45WD", "W-0123456789ab", 2017, 5, numerator=3, denominator=4),
        month("ASSESS_45WD", "T-NEW-TEAM", 2017, 5, numerator=1, denominator=2),
    ]
    n = await record(session, values, "imp-1")
    assert n == 4
    rows = await _rows(session, "ASSESS_45WD")
    mash = ("T-MASH", "team", 1, True, "draft", Decimal("80.0000"), 40, 50, IMPORT_SOURCE, "imp-1")
    assert mash in rows
    assert [r[:2] for r in rows] == [
        ("T-MASH", "team"),
        ("T-NEW-TEAM", "team"),
        ("W-0123456789ab", "worker"),
    ]
    again = await record(session, values, "imp-2")
    assert again == 0


async def test_changed_value_is_a_new_revision(session: AsyncSession) -> None:
    first = [month("REFERRALS", "WIRRAL", 2017, 6, value=Decimal(300))]
    await record(session, first, "a")
    second = [month("REFERRALS", "WIRRAL", 2017, 6, value=Decimal(305))]
    assert await record(session, second, "b") == 1
    rows = [r for r in await _rows(session, "REFERRALS") if r[0] == "WIRRAL"]
    assert [(r[2], r[3], r[5], r[9]) for r in rows] == [
        (1, False, Decimal("300.0000"), "a"),
        (2, True, Decimal("305.0000"), "b"),
    ]


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (month("NOPE", "WIRRAL", 2017, 5, value=Decimal(1)), "indicator_code"),
        (month("REFERRALS", "WIRRAL", 2099, 5, value=Decimal(1)), "period"),
        (month("REFERRALS", "WIRRAL", 2017, 5, value=Decimal(-1)), "value"),
        (month("REFERRALS", "WIRRAL", 2017, 5, value=Decimal("1.5")), "value"),
        (month("ASSESS_45WD", "WIRRAL", 2017, 5, numerator=5, denominator=4), "value"),
        (
            ComputedValue(
                "REFERRALS",
                "month",
                date(2017, 5, 2),
                date(2017, 5, 31),
                "WIRRAL",
                value=Decimal(1),
            ),
            "period",
        ),
    ],
)
async def test_bad_values_write_nothing(
    session: AsyncSession, bad: ComputedValue, field: str
) -> None:
    good = month("CONTACTS", "WIRRAL", 2017, 5, value=Decimal(1000))
    with pytest.raises(InvalidInput) as caught:
        await record(session, [good, bad], "x")
    assert caught.value.extensions["errors"][0]["index"] == 1
    assert caught.value.extensions["errors"][0]["field"] == field
    assert await _rows(session, "CONTACTS") == []


async def test_locked_period_refuses_changes(session: AsyncSession) -> None:
    v = [month("REFERRALS", "WIRRAL", 2017, 7, value=Decimal(300))]
    await record(session, v, "a")
    await session.execute(text("UPDATE kpis.value_period SET state = 'approved'"))
    # unchanged is fine; a change is refused
    assert await record(session, v, "b") == 0
    changed = [month("REFERRALS", "WIRRAL", 2017, 7, value=Decimal(301))]
    with pytest.raises(Conflict):
        await record(session, changed, "c")


async def test_only_council_imports(session: AsyncSession) -> None:
    v = [month("REFERRALS", "WIRRAL", 2017, 5, value=Decimal(300))]
    with pytest.raises(Forbidden):
        await record(session, v, "a", POLICE_CLIENT)


async def test_rounded_percentages_are_recomputed_from_numerators(session: AsyncSession) -> None:
    v = [month("ASSESS_45WD", "WIRRAL", 2017, 8, value=Decimal("33.3"), numerator=1, denominator=3)]
    assert await record(session, v, "a") == 1
    rows = [r for r in await _rows(session, "ASSESS_45WD") if r[0] == "WIRRAL"]
    assert rows[0][5] == Decimal("33.3333")
