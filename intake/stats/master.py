"""The master tables: every number any output may show, as sums of one set of base counts.

Base counts are the finest cells kept: act type × region × quarter, and perpetrator ×
quarter and target × quarter. Every published number — a cell, a row or column total, a
grand total, for a quarter, a whole year or all time — is the sum of some of them; its
`members` say which. Protection and the interval audit work on these sums, so margins
shared by several tables, or by the same table for a quarter and its year, are one number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from intake.stats.periods import ALL, parts_of, periods_of, quarters_in
from intake.stats.suppression import Equation

ANY = "*"
CUBE = "cube"
ONE_WAY = ("perpetrator", "target")
Key = tuple[str, str, str, str]  # (family, row code or *, region or * or "", period)


@dataclass(frozen=True)
class Axes:
    """Rows and columns of each family, and the quarter axis shared by all."""

    acts: list[str]
    regions: list[str]
    codes: dict[str, list[str]]
    quarters: list[str]

    @property
    def periods(self) -> list[str]:
        """All time, each year, each quarter."""
        return periods_of(self.quarters)


@dataclass
class Master:
    """Base counts and every publishable sum of them, with the additive relations."""

    axes: Axes
    base: list[int]
    members: dict[Key, tuple[int, ...]] = field(default_factory=dict)
    values: dict[Key, int] = field(default_factory=dict)
    containing: list[list[Key]] = field(default_factory=list)
    equations: list[Equation] = field(default_factory=list)


def _columns(family: str, axes: Axes) -> tuple[list[str], list[str], list[str]]:
    """(rows, columns, columns with their margin) of a family."""
    if family == CUBE:
        return axes.acts, axes.regions, [*axes.regions, ANY]
    return axes.codes[family], [""], [""]


def build(axes: Axes, cube: Mapping[tuple[str, str, str], int],
          one_way: Mapping[str, Mapping[tuple[str, str], int]]) -> Master:
    """All sums over all periods; `cube` by (act, region, quarter), `one_way[v]` by (code, q)."""
    master = Master(axes, [])
    periods = axes.periods
    for family in (CUBE, *ONE_WAY):
        rows, cols, _ = _columns(family, axes)
        for row in rows:
            for col in cols:
                for q in axes.quarters:
                    n = cube.get((row, col, q), 0) if family == CUBE else \
                        one_way[family].get((row, q), 0)
                    index = len(master.base)
                    master.base.append(n)
                    keys = [(family, r, c, p) for r in (row, ANY)
                            for c in ((col, ANY) if family == CUBE else ("",))
                            for p in (q, q[:4], ALL)]
                    master.containing.append(keys)
                    for key in keys:
                        master.members.setdefault(key, ())
                        master.members[key] += (index,)
        _empty_sums(master, family, rows, periods)
        master.equations += _relations(family, axes, periods)
    master.values = {key: sum(master.base[i] for i in m) for key, m in master.members.items()}
    return master


def _empty_sums(master: Master, family: str, rows: list[str], periods: list[str]) -> None:
    """With no quarter at all the grand totals still exist (and are 0)."""
    _, _, cols = _columns(family, master.axes)
    for period in periods:
        for row in (*rows, ANY):
            for col in cols:
                master.members.setdefault((family, row, col, period), ())


def _relations(family: str, axes: Axes, periods: list[str]) -> list[Equation]:
    """Row, column and grand totals of every period; years and all time as sums of parts."""
    rows, cols, with_margin = _columns(family, axes)
    out = []
    for period in periods:
        for col in with_margin:
            out.append(Equation((family, ANY, col, period),
                                tuple((family, r, col, period) for r in rows)))
        if family == CUBE:
            for row in (*rows, ANY):
                out.append(Equation((family, row, ANY, period),
                                    tuple((family, row, c, period) for c in cols)))
        parts = parts_of(period, axes.quarters)
        if parts:
            for row in (*rows, ANY):
                for col in with_margin:
                    out.append(Equation((family, row, col, period),
                                        tuple((family, row, col, p) for p in parts)))
    return out


def period_keys(axes: Axes, period: str) -> list[Key]:
    """Every number the tables of one period show (the slice a filter selects)."""
    keys: list[Key] = []
    for family in (CUBE, *ONE_WAY):
        rows, _, with_margin = _columns(family, axes)
        keys += [(family, r, c, period) for r in (*rows, ANY) for c in with_margin]
    keys += [(CUBE, r, ANY, q) for q in quarters_in(period, axes.quarters)
             for r in (*axes.acts, ANY)]
    return keys


def ordered(known: Sequence[str], seen: set[str]) -> list[str]:
    """Vocabulary order first, then any code found in the data (sorted)."""
    return list(known) + sorted(seen - set(known))
