"""Pure figures of a series: RAG against a target, direction of travel, SPC signals, roll-up.

SPC uses an individuals (XmR) chart: centre line = mean, sigma = mean moving range / 1.128.
Signals (NHS "Making Data Count" rules): ``beyond_limits`` — a point outside mean ± 3σ;
``run`` — seven or more consecutive points on the same side of the mean (each point of the
run is flagged); ``trend`` — seven or more consecutive points each higher (or each lower)
than the one before (each point of the trend is flagged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

RUN_LENGTH = 7
D2 = 1.128


def rag(
    value: Decimal | None, target: Decimal | None, tolerance: Decimal | None, polarity: str
) -> str | None:
    """``green`` meets the target; ``amber`` misses it by at most the tolerance; ``red``."""
    if value is None or target is None:
        return None
    tol = tolerance or Decimal(0)
    gap = value - target if polarity == "higher" else target - value
    if gap >= 0:
        return "green"
    if -gap <= tol:
        return "amber"
    return "red"


def direction(current: Decimal | None, previous: Decimal | None, polarity: str) -> str | None:
    if current is None or previous is None:
        return None
    if current == previous:
        return "same"
    better = current > previous if polarity == "higher" else current < previous
    return "improving" if better else "worsening"


@dataclass(frozen=True)
class Limits:
    mean: float
    upper: float
    lower: float


def limits(values: Sequence[float]) -> Limits | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in pairwise(values)]
    sigma = (sum(ranges) / len(ranges)) / D2
    return Limits(mean, mean + 3 * sigma, mean - 3 * sigma)


def spc_signals(values: Sequence[float]) -> list[list[str]]:
    """The signals at each point of ``values`` (one list per point)."""
    signals: list[list[str]] = [[] for _ in values]
    lim = limits(values)
    if lim is None:
        return signals
    for i, v in enumerate(values):
        if v > lim.upper or v < lim.lower:
            signals[i].append("beyond_limits")
    _flag_runs(signals, [(v > lim.mean) - (v < lim.mean) for v in values], "run")
    steps = [(b > a) - (b < a) for a, b in pairwise(values)]  # steps[i]: point i → i+1
    i = 0
    while i < len(steps):
        j = i
        while j + 1 < len(steps) and steps[j + 1] == steps[i]:
            j += 1
        if steps[i] != 0 and j - i + 2 >= RUN_LENGTH:  # steps i..j span points i..j+1
            for k in range(i, j + 2):
                signals[k].append("trend")
        i = j + 1
    return signals


def _flag_runs(signals: list[list[str]], sides: Sequence[int], name: str) -> None:
    start = 0
    for i in range(1, len(sides) + 1):
        if i == len(sides) or sides[i] != sides[start]:
            if sides[start] != 0 and i - start >= RUN_LENGTH:
                for j in range(start, i):
                    signals[j].append(name)
            start = i


@dataclass(frozen=True)
class Part:
    value: Decimal | None
    numerator: int | None
    denominator: int | None


def roll_up(unit: str, parts: Sequence[Part]) -> Part | None:
    """A total from its parts: counts and days add up; percentages and rates are
    recomputed from summed numerators and denominators — never averaged. A mean needs
    numerators and denominators too."""
    if not parts:
        return None
    if unit in ("count", "days"):
        if any(p.value is None for p in parts):
            return None
        return Part(sum((p.value for p in parts if p.value is not None), Decimal(0)), None, None)
    if any(p.numerator is None or p.denominator is None for p in parts):
        return None
    num = sum(p.numerator or 0 for p in parts)
    den = sum(p.denominator or 0 for p in parts)
    if den == 0:
        return None
    scale = {"percentage": 100, "rate_per_10000": 10_000}.get(unit, 1)
    value = (Decimal(num) * scale / Decimal(den)).quantize(Decimal("0.0001"))
    return Part(value, num, den)
