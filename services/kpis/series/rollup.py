"""Figures at every level of the org-unit tree (authority → service → locality → team →
worker), whatever level the values arrived at.

A unit's figure is its own current value when it has one; otherwise it is rolled up from
its children's figures, each worked out the same way, down to the workers: counts add up,
percentages and rates are recomputed from summed numerators and denominators (never
averaged, :func:`services.kpis.series.analysis.roll_up`). A unit with its own value is never
added to its children's again, so nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.kpis.series import analysis


@dataclass(frozen=True)
class Node:
    org_unit_id: int
    parent_id: int | None
    code: str
    level: str
    name: str | None


@dataclass(frozen=True)
class Figure:
    part: analysis.Part
    rolled_up: bool


class Tree:
    """A unit and everything below it."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.nodes = {n.org_unit_id: n for n in nodes}
        self.children: dict[int, list[int]] = {}
        for n in sorted(nodes, key=lambda n: n.code):
            if n.parent_id is not None and n.parent_id in self.nodes:
                self.children.setdefault(n.parent_id, []).append(n.org_unit_id)

    def figures(self, unit: str, own: Mapping[int, analysis.Part]) -> dict[int, Figure]:
        """Every unit's figure (own value, or rolled up); units with none are left out."""
        out: dict[int, Figure] = {}
        # children before parents: walk the tree depth first from each root, then resolve
        # in reverse order of discovery (no recursion: a tree may be deep)
        roots = [i for i, n in self.nodes.items() if n.parent_id not in self.nodes]
        order: list[int] = []
        stack = list(roots)
        while stack:
            current = stack.pop()
            order.append(current)
            stack.extend(self.children.get(current, ()))
        for unit_id in reversed(order):
            if unit_id in own:
                out[unit_id] = Figure(own[unit_id], rolled_up=False)
                continue
            parts = [out[c].part for c in self.children.get(unit_id, ()) if c in out]
            total = analysis.roll_up(unit, parts)
            if total is not None:
                out[unit_id] = Figure(total, rolled_up=True)
        return out
