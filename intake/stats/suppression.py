"""Small-cell and complementary suppression over every total of every table of one output.

Each published total is an equation `total = sum(cells)`. A suppressed value can be
recovered by subtraction exactly when an equation has one unknown left, so we suppress
more values until every equation has none or at least two unknowns; margins shared by
two tables are one variable, which covers derivation across tables.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

Key = Hashable


@dataclass(frozen=True)
class Equation:
    """`total` equals the sum of `parts`."""

    total: Key
    parts: tuple[Key, ...]

    @property
    def members(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


def primary(values: dict[Key, int], k: int) -> set[Key]:
    """Cells (and totals) from 1 to k−1 are too small to publish."""
    return {key for key, v in values.items() if 0 < v < k}


def _complement(eq: Equation, values: dict[Key, int], hidden: set[Key],
                totals: set[Key]) -> Key:
    """Pick what else to hide: the smallest non-zero published cell, else the total.

    Zeros are never used: an attacker who knows a hidden cell is either 0 or ≥ k could
    sometimes pin the small one down.
    """
    cells = [p for p in eq.parts if p not in hidden and p not in totals and values[p] > 0]
    if cells:
        return min(cells, key=lambda p: (values[p], str(p)))
    if eq.total not in hidden:
        return eq.total
    others = [p for p in eq.parts if p not in hidden]
    return min(others, key=lambda p: (values[p], str(p)))


def protect(values: dict[Key, int], equations: Sequence[Equation], k: int) -> set[Key]:
    """The set of keys to hide: primary cells plus complementary ones until nothing is derivable."""
    totals = {eq.total for eq in equations}
    hidden = primary(values, k)
    changed = True
    while changed:
        changed = False
        for eq in equations:
            unknown = [m for m in eq.members if m in hidden]
            if len(unknown) == 1:
                hidden.add(_complement(eq, values, hidden, totals))
                changed = True
    return hidden

