"""Suppression until the interval audit passes, over everything one output set shows.

1. Every primary number (1 to k−1) is hidden; zeros are always shown.
2. A quick pass hides a second number wherever a total would otherwise give one hidden
   number away by subtraction (intake.stats.suppression).
3. The interval audit (intake.stats.audit) then checks each primary number against all
   published numbers at once; where the attacker's interval is narrower than k or cannot
   reach k, one more number is hidden next to it — on the equation that binds it — and the
   audit runs again, until every primary number is safe. Hiding more only ever widens the
   intervals, so this ends; at worst everything of that family is hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from intake.stats.audit import HIDDEN_MIN, Interval, intervals
from intake.stats.master import Key, Master
from intake.stats.suppression import Equation, complete


class ProtectionError(ValueError):
    """Numbers already published elsewhere make a primary number impossible to protect."""


@dataclass(frozen=True)
class Protected:
    """The hidden keys and the audit's final interval of every primary one."""

    hidden: frozenset[Key]
    intervals: dict[Key, Interval]
    rounds: int


def primaries(master: Master, shown: Iterable[Key], k: int) -> set[Key]:
    """Shown numbers from 1 to k−1."""
    return {key for key in shown if 0 < master.values[key] < k}


def protect(master: Master, shown: set[Key], k: int, hidden: Iterable[Key] = (),
            pinned: frozenset[Key] = frozenset()) -> Protected:
    """Hide until every primary number of `shown` is safe; `pinned` are published elsewhere."""
    small = primaries(master, shown, k)
    if small & pinned:
        raise ProtectionError("a number published earlier is now below the threshold")
    equations = [eq for eq in master.equations if shown.issuperset(eq.members)]
    by_member: dict[Key, list[Equation]] = {}
    for eq in equations:
        for key in eq.members:
            by_member.setdefault(key, []).append(eq)
    hide = complete(master.values, equations, (small | set(hidden)) & shown, pinned)
    todo = sorted(small)
    found: dict[Key, Interval] = {}
    rounds = 0
    while todo:
        rounds += 1
        result = intervals(master.members, master.base, shown, hide, master.containing,
                           todo, k)
        found.update(result)
        todo = [key for key in todo if not result[key].safe(k)]
        before = len(hide)
        stuck = []
        for key in todo:
            more = _beside(master.values, key, result[key], k, hide, pinned, by_member)
            if more is None:
                stuck.append(key)
            else:
                hide.add(more)
        if stuck:
            hide |= _around(master.values, stuck, hide, pinned, by_member)
        if todo and len(hide) == before:
            raise ProtectionError("no number left to hide around a primary number")
    return Protected(frozenset(hide), {key: found[key] for key in small}, rounds)


def _beside(values: dict[Key, int], key: Key, interval: Interval, k: int, hide: set[Key],
            pinned: frozenset[Key], by_member: dict[Key, list[Equation]]) -> Key | None:
    """One more number on an equation of `key`: first the one that bounds it most."""
    goal = max(k, interval.lo + k)

    def open_(m: Key) -> bool:
        return m not in hide and m not in pinned and values[m] > 0

    binding: list[tuple[float, Equation]] = []
    near: list[Key] = []
    for eq in by_member.get(key, []):
        near += [m for m in eq.members if open_(m)]
        if key == eq.total or eq.total in hide:
            continue
        others = [p for p in eq.parts if p != key]
        ub: float = values[eq.total] - sum(values[p] for p in others if p not in hide) \
            - HIDDEN_MIN * sum(1 for p in others if p in hide)
        if ub < goal:
            binding.append((ub, eq))
    for ub, eq in sorted(binding, key=lambda pair: (pair[0], str(pair[1].total))):
        parts = sorted((p for p in eq.parts if open_(p)), key=lambda p: (values[p], str(p)))
        enough = [p for p in parts if values[p] >= goal - ub]
        if enough:
            return enough[0]
        if open_(eq.total):
            return eq.total
        if parts:
            return parts[-1]
    if near:
        enough = sorted((m for m in near if values[m] >= goal), key=lambda m: (values[m], str(m)))
        return enough[0] if enough else max(near, key=lambda m: (values[m], str(m)))
    return None


def _around(values: dict[Key, int], stuck: list[Key], hide: set[Key], pinned: frozenset[Key],
            by_member: dict[Key, list[Equation]]) -> set[Key]:
    """Nothing left beside them: the nearest published numbers, through hidden ones."""

    def open_(m: Key) -> bool:
        return m not in hide and m not in pinned and values[m] > 0

    seen = set(stuck)
    frontier = list(stuck)
    while frontier:
        near = {m for f in frontier for eq in by_member.get(f, []) for m in eq.members} - seen
        candidates = {m for m in near if open_(m)}
        if candidates:
            return candidates
        seen |= near
        frontier = [m for m in near if m in hide]
    families = {key[0] for key in stuck}
    return {m for m in values if m[0] in families and open_(m)}
