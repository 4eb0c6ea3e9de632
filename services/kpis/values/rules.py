"""Rules every incoming value meets, whether a partner submitted it or an import computed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.kpis.periods import Period

#: Which period types each frequency accepts (a period at least as long as the frequency).
ALLOWED_PERIODS = {
    "monthly": ("month", "quarter", "year", "ytd"),
    "quarterly": ("quarter", "year", "ytd"),
    "annual": ("year",),
}
RATIO_UNITS = ("percentage", "rate_per_10000")
FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class IndicatorInfo:
    indicator_id: int
    code: str
    version: int
    unit: str
    frequency: str
    source_agency: str
    #: the source whose figure is published (``None``: the latest, whatever its source)
    authoritative_source: str | None = None


@dataclass(frozen=True)
class CleanValue:
    """A value that passed every rule, ready to be recorded."""

    indicator_id: int
    org_unit_id: int
    period: Period
    value: Decimal
    numerator: int | None
    denominator: int | None
    comment: str | None


def derive_value(
    info: IndicatorInfo,
    value: Decimal | None,
    numerator: int | None,
    denominator: int | None,
) -> tuple[Decimal, int | None, int | None]:
    """The stored (value, numerator, denominator); raises ``ValueError`` naming the rule."""
    for name, number in (("numerator", numerator), ("denominator", denominator)):
        if number is not None and number < 0:
            raise ValueError(f"{name} must not be negative")
    if info.unit in RATIO_UNITS:
        return _ratio(info.unit, value, numerator, denominator)
    if value is None:
        if numerator is None:
            raise ValueError("value is required")
        value = Decimal(numerator)
    value = Decimal(value)
    if not value.is_finite():
        raise ValueError("value must be a finite number")
    if value < 0:
        raise ValueError("value must not be negative")
    if info.unit == "count":
        if value != value.to_integral_value():
            raise ValueError("a count must be a whole number")
        if numerator is not None and Decimal(numerator) != value:
            raise ValueError("a count's numerator must equal its value")
    if abs(value) >= Decimal("1e14"):
        raise ValueError("value is too large")
    return value.quantize(FOUR_PLACES, ROUND_HALF_UP), numerator, denominator


def _ratio(
    unit: str, value: Decimal | None, numerator: int | None, denominator: int | None
) -> tuple[Decimal, int, int]:
    """A percentage or rate: computed from numerator and denominator, a given value checked."""
    if numerator is None or denominator is None:
        raise ValueError(f"a {unit} needs numerator and denominator")
    if denominator == 0:
        raise ValueError("denominator must be greater than zero")
    if unit == "percentage" and numerator > denominator:
        raise ValueError("numerator must not exceed denominator")
    scale = 100 if unit == "percentage" else 10_000
    computed = (Decimal(numerator) * scale / Decimal(denominator)).quantize(
        FOUR_PLACES, ROUND_HALF_UP
    )
    if value is not None and abs(Decimal(value) - computed) > Decimal("0.1"):
        raise ValueError("value does not match numerator / denominator")
    return computed, numerator, denominator


def check_period(info: IndicatorInfo, period: Period, today: date) -> None:
    if period.type not in ALLOWED_PERIODS[info.frequency]:
        raise ValueError(f"a {info.frequency} indicator takes no {period.type} values")
    if not period.is_complete(today):
        raise ValueError("the period is not complete yet")
