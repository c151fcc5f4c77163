"""Complementary suppression by subtraction: the quick first pass before the interval audit.

Each published total is an equation `total = sum(parts)`. A hidden value is recovered by
subtraction exactly when an equation has one unknown left, so we hide more values until
every equation has none or at least two. Zeros are never hidden (a hidden number is always
at least 1, and every output says so), and numbers published elsewhere (`pinned`) cannot be.
The interval audit afterwards checks far more than subtraction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Key = Any  # any hashable name of a number; intake.stats.master uses 4-tuples


@dataclass(frozen=True)
class Equation:
    """`total` equals the sum of `parts`."""

    total: Key
    parts: tuple[Key, ...]

    @property
    def members(self) -> tuple[Key, ...]:
        return (self.total, *self.parts)


def _complement(eq: Equation, values: Mapping[Key, int], hidden: set[Key],
                pinned: Iterable[Key]) -> Key | None:
    """The smallest non-zero published part, else the total; None if all are pinned."""
    blocked = hidden | set(pinned)
    parts = [p for p in eq.parts if p not in blocked and values[p] > 0]
    if parts:
        return min(parts, key=lambda p: (values[p], str(p)))
    if eq.total not in blocked and values[eq.total] > 0:
        return eq.total
    return None


def complete(values: Mapping[Key, int], equations: Sequence[Equation], hidden: set[Key],
             pinned: Iterable[Key] = ()) -> set[Key]:
    """`hidden` plus what else must go so no equation has exactly one unknown."""
    hidden = set(hidden)
    pinned = set(pinned)
    by_member: dict[Key, list[Equation]] = {}
    for eq in equations:
        for m in eq.members:
            by_member.setdefault(m, []).append(eq)
    queue = [eq for key in hidden for eq in by_member.get(key, [])]
    while queue:
        eq = queue.pop()
        if sum(1 for m in eq.members if m in hidden) != 1:
            continue
        extra = _complement(eq, values, hidden, pinned)
        if extra is None:
            continue
        hidden.add(extra)
        queue.extend(by_member.get(extra, []))
    return hidden

