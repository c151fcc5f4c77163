"""Interval audit: how far can an attacker narrow each hidden number? Solved by HiGHS (highspy).

The attacker knows every published number of every output, that each is a sum of base
counts (`members`), that counts are whole numbers ≥ 0 and that a hidden number is never 0
(zeros are always shown). For a hidden number X the attacker's best knowledge is the
interval [min X, max X] over all base counts that satisfy all of that. We solve those two
optimisation problems: first the linear relaxation (HiGHS dual simplex, warm-started from
the previous target's basis); when its optimum is not a whole-number point, the integer
programme (HiGHS branch and bound). The relaxation's
bound is never tighter than the integer one, so a failure it shows is final.

A primary number (1 to k−1) is safe when its interval is at least k wide and reaches k or
more: it cannot be pinned down, nor be shown to be small.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np


def _first_highs() -> None:
    """HiGHS prints a banner on standard output once per process; exports may go there."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_first_highs()
HIDDEN_MIN = 1  # zeros are never hidden, so a hidden number is at least 1
EPS = 1e-6
MILP_SECONDS = 0.5  # an integer check not settled in this time counts as unsafe


@dataclass(frozen=True)
class Interval:
    """What an attacker can know about one hidden number."""

    lo: float
    hi: float

    def safe(self, k: int) -> bool:
        """At least k wide and reaching k: neither pinned nor provably small."""
        return self.hi >= k and self.hi - self.lo >= k


@dataclass
class Problem:
    """The attacker's system reduced to the base counts that are not published one by one."""

    free: list[int]
    loose: set[int]
    rows_eq: list[tuple[list[int], float]]
    rows_ge: list[tuple[list[int], float]]
    lower: dict[int, int]


def _reduce(members: Mapping[Any, Sequence[int]], base: Sequence[int], shown: Iterable[Any],
            hidden: set[Any], containing: Sequence[Sequence[Any]]) -> Problem:
    """Fix every base count published on its own; keep rows that still have unknowns."""
    shown = set(shown)
    fixed: set[int] = set()
    used: set[int] = set()
    for key in shown:
        m = members[key]
        used.update(m)
        if key not in hidden and len(m) == 1:
            fixed.add(m[0])
    free = sorted(used - fixed)
    lower = {}
    keys: set[Any] = set()
    for i in free:
        keys.update(k for k in containing[i] if k in shown)
    rows_eq, rows_ge = [], []
    tied: set[int] = set()
    for key in keys:
        m = members[key]
        unknown = [i for i in m if i not in fixed]
        if key in hidden:
            if len(m) == 1:
                lower[m[0]] = HIDDEN_MIN
                continue
            need = HIDDEN_MIN - sum(base[i] for i in m if i in fixed)
            if need > 0:
                rows_ge.append((unknown, float(need)))
        else:
            rows_eq.append((unknown, float(sum(base[i] for i in unknown))))
            tied.update(unknown)
    return Problem(free, set(free) - tied, rows_eq, rows_ge, lower)


def _components(problem: Problem) -> dict[int, int]:
    """Free counts joined by any row: separate parts are solved separately (much smaller)."""
    parent = {i: i for i in problem.free}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for unknown, _ in problem.rows_eq + problem.rows_ge:
        for i in unknown[1:]:
            a, b = find(unknown[0]), find(i)
            if a != b:
                parent[a] = b
    return {i: find(i) for i in problem.free}


class _Part:
    """One connected part of the system as one HiGHS model: built once, re-solved per target.

    Only the objective changes between solves, so HiGHS starts each from the last basis.
    """

    def __init__(self, problem: Problem, variables: list[int]) -> None:
        self.col = {v: j for j, v in enumerate(variables)}
        self.n = n = len(variables)
        rows = [(u, r, r) for u, r in problem.rows_eq if u and u[0] in self.col]
        rows += [(u, r, highspy.kHighsInf) for u, r in problem.rows_ge if u and u[0] in self.col]
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, len(rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([float(problem.lower.get(v, 0)) for v in variables])
        lp.col_upper_ = np.full(n, highspy.kHighsInf)
        lp.row_lower_ = np.array([lo for _, lo, _ in rows], dtype=float)
        lp.row_upper_ = np.array([hi for _, _, hi in rows], dtype=float)
        starts: list[int] = [0]
        index: list[int] = []
        for unknown, _, _ in rows:
            index.extend(self.col[v] for v in unknown)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.ones(len(index))
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("simplex_strategy", 4)  # primal: the last basis stays feasible
        self.highs.disableCallbacks()
        self.highs.passModel(lp)
        self.objective: list[int] = []
        self.n_rows = len(rows)

    def _set(self, objective: list[int], maximise: bool) -> None:
        h = self.highs
        if self.objective:
            h.changeColsCost(len(self.objective), np.array(self.objective, dtype=np.int32),
                             np.zeros(len(self.objective)))
        self.objective = [self.col[v] for v in objective]
        h.changeColsCost(len(self.objective), np.array(self.objective, dtype=np.int32),
                         np.ones(len(self.objective)))
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise
                               else highspy.ObjSense.kMinimize)

    def relaxed(self, objective: list[int], maximise: bool) -> tuple[float, bool]:
        """Optimum of the linear relaxation (±inf when unbounded), and whether it is whole."""
        self._set(objective, maximise)
        h = self.highs
        h.run()
        status = h.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible):
            # the true counts are a whole-number point, so the integer problem is unbounded too
            return (math.inf if maximise else -math.inf), True
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError("interval audit: the solver failed "
                               f"({h.modelStatusToString(status)})")
        x = np.asarray(h.getSolution().col_value)
        value = h.getInfo().objective_function_value
        return value, bool(np.all(np.abs(x - np.round(x)) < EPS))

    def reaches(self, objective: list[int], goal: float) -> bool:
        """Is there a whole-number point with sum(objective) ≥ goal? Unsure in time → no."""
        h = self.highs
        self._set([], maximise=False)
        cols = np.array([self.col[v] for v in objective], dtype=np.int32)
        h.addRow(goal, highspy.kHighsInf, len(cols), cols, np.ones(len(cols)))
        every = np.arange(self.n, dtype=np.int32)
        h.changeColsIntegrality(self.n, every, np.full(self.n, highspy.HighsVarType.kInteger))
        h.setOptionValue("time_limit", MILP_SECONDS)
        try:
            h.run()
            found = h.getInfo().primal_solution_status == 2  # a feasible point is known
        finally:
            h.setOptionValue("time_limit", highspy.kHighsInf)
            h.changeColsIntegrality(self.n, every,
                                    np.full(self.n, highspy.HighsVarType.kContinuous))
            h.deleteRows(1, np.array([h.getNumRow() - 1], dtype=np.int32))
        return found


def intervals(members: Mapping[Any, Sequence[int]], base: Sequence[int], shown: Iterable[Any],
              hidden: set[Any], containing: Sequence[Sequence[Any]], targets: Iterable[Any],
              k: int) -> dict[Any, Interval]:
    """For each target (a hidden key): its interval, or a safe/unsafe verdict as an interval.

    Exact where the relaxation's optimum is a whole-number point (the usual case). Where it
    is not, the verdict is decided conservatively: a safe verdict needs a whole-number point
    found by the integer solver that reaches the goal, and the interval reported is the
    part proved ([lo, goal]); an unsettled integer check is reported unsafe, so more is
    hidden. A target whose maximum alone proves it safe (≥ its value + k, so at least k
    above its minimum) is not minimised.
    """
    problem = _reduce(members, base, shown, hidden, containing)
    part_of = _components(problem)
    groups: dict[int, list[int]] = {}
    for v, root in part_of.items():
        groups.setdefault(root, []).append(v)
    parts: dict[int, _Part] = {}
    out = {}
    for key in targets:
        m = members[key]
        value = sum(base[i] for i in m)
        free = [i for i in m if i in part_of]
        if any(i in problem.loose for i in free):
            out[key] = Interval(value, math.inf)  # a count in no published sum: no ceiling
            continue
        constant = value - sum(base[i] for i in free)
        by_part: dict[int, list[int]] = {}
        for i in free:
            by_part.setdefault(part_of[i], []).append(i)
        if len(by_part) > 1:
            raise RuntimeError("interval audit: one number spans two separate parts")
        if not by_part:
            out[key] = Interval(value, value)
            continue
        root, variables = next(iter(by_part.items()))
        part = parts.get(root)
        if part is None:
            part = parts[root] = _Part(problem, sorted(groups[root]))
        out[key] = _interval(part, variables, constant, value, k)
    return out


def _interval(part: _Part, variables: list[int], constant: float, value: int,
              k: int) -> Interval:
    hi, whole_hi = part.relaxed(variables, maximise=True)
    hi += constant
    if not whole_hi:
        hi = math.floor(hi + EPS)  # the integer maximum is at most this
    if hi >= value + k and (whole_hi or part.reaches(variables, value + k - constant)):
        return Interval(value, hi if whole_hi else value + k)
    lo, whole_lo = part.relaxed(variables, maximise=False)
    lo = lo + constant if whole_lo else value  # a whole-number minimum is at most the value
    goal = max(k, lo + k)
    if whole_hi:
        return Interval(lo, hi)
    if hi >= goal and part.reaches(variables, goal - constant):
        return Interval(lo, goal)
    return Interval(lo, min(hi, goal - 1))
