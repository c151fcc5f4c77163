"""The interval audit and the protection loop against an independent integer solver.

Small master tables (intake.stats.master) with random counts and random hidden numbers:
for every primary hidden number the audit's verdict (safe or not) must be the one the exact
integer intervals give (SciPy's `milp`, written here from the definition), a safe interval
must be one the attacker really cannot narrow, and protection must end with every primary
number exactly safe, no zero and nothing pinned hidden. Fast (no app, no database), so the
mutation run can afford many examples per mutant.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from intake.stats import audit
from intake.stats.audit import HIDDEN_MIN, Interval, intervals
from intake.stats.master import Axes, Master, build
from intake.stats.protection import ProtectionError, primaries, protect
from intake.stats.suppression import Equation, complete

SCALE = float(os.environ.get("INTAKE_PROPERTY_SCALE", "1"))
# The mutation run (a scale below 1) needs a failure, not the smallest one: no shrinking.
PHASES = tuple(Phase) if SCALE >= 1 else (Phase.explicit, Phase.reuse, Phase.generate)
CEILING = 10_000  # no count is near this: an optimum at it means "no upper bound"

AXES = Axes(acts=["threats", "raid"], regions=["bishkek", "naryn"],
            codes={"perpetrator": ["police", "unknown"], "target": ["lawyer"]},
            quarters=["2025-Q4", "2026-Q1"])
counts = st.integers(min_value=0, max_value=9)
cubes = st.dictionaries(st.tuples(st.sampled_from(AXES.acts), st.sampled_from(AXES.regions),
                                  st.sampled_from(AXES.quarters)), counts, max_size=8)
one_ways = st.fixed_dictionaries({
    "perpetrator": st.dictionaries(st.tuples(st.sampled_from(["police", "unknown"]),
                                             st.sampled_from(AXES.quarters)), counts,
                                   max_size=4),
    "target": st.dictionaries(st.tuples(st.just("lawyer"), st.sampled_from(AXES.quarters)),
                              counts, max_size=2)})


def exact(master: Master, shown: set[Any], hidden: set[Any], key: Any) -> tuple[float, float]:
    """The attacker's true interval for `key`: whole counts ≥ 0, every shown sum as
    published, every hidden one at least HIDDEN_MIN."""
    n = len(master.base)
    rows, low, high = [], [], []
    for other in shown:
        row = np.zeros(n)
        row[list(master.members[other])] = 1
        if other in hidden:
            rows.append(row), low.append(HIDDEN_MIN), high.append(np.inf)
        else:
            value = master.values[other]
            rows.append(row), low.append(value), high.append(value)
    objective = np.zeros(n)
    objective[list(master.members[key])] = 1
    found = []
    for sign in (1, -1):
        result = milp(sign * objective, integrality=np.ones(n), bounds=Bounds(0, CEILING),
                      constraints=LinearConstraint(np.array(rows), low, high))
        assert result.status == 0, result.message
        found.append(sign * result.fun)
    lo, hi = found
    return lo, (math.inf if hi >= CEILING else hi)


def _safe(lo: float, hi: float, k: int) -> bool:
    return Interval(lo, hi).safe(k)


@hsettings(max_examples=max(2, round(80 * SCALE)), deadline=None, phases=PHASES)
@given(cube=cubes, one_way=one_ways, k=st.integers(min_value=2, max_value=6),
       extra=st.sets(st.integers(min_value=0, max_value=200), max_size=6))
def test_audit_verdicts_are_the_exact_ones(cube: dict[Any, int], one_way: dict[str, Any],
                                          k: int, extra: set[int]) -> None:
    master = build(AXES, cube, one_way)
    shown = set(master.members)
    keys = sorted(shown)
    small = primaries(master, shown, k)
    hidden = small | {keys[i % len(keys)] for i in extra if master.values[keys[i % len(keys)]]}
    found = intervals(master.members, master.base, shown, hidden, master.containing,
                      sorted(small), k)
    assert set(found) == small
    for key in small:
        lo, hi = exact(master, shown, hidden, key)
        got = found[key]
        assert got.safe(k) == _safe(lo, hi, k), (key, got, lo, hi)
        # These tables' relaxations have whole-number optima, so the interval is the exact
        # one, or (a maximum that alone proves it safe) the number's value up to it.
        value = master.values[key]
        assert got == Interval(lo, hi) or (got == Interval(value, hi) and hi >= value + k), (
            key, got, lo, hi)


@hsettings(max_examples=max(2, round(40 * SCALE)), deadline=None, phases=PHASES)
@given(cube=cubes, one_way=one_ways, k=st.integers(min_value=2, max_value=6))
def test_protection_leaves_every_small_number_exactly_safe(cube: dict[Any, int],
                                                          one_way: dict[str, Any],
                                                          k: int) -> None:
    master = build(AXES, cube, one_way)
    shown = set(master.members)
    result = protect(master, shown, k)
    small = primaries(master, shown, k)
    assert small <= result.hidden <= shown
    assert all(master.values[key] > 0 for key in result.hidden)  # zeros are always shown
    assert set(result.intervals) == small and result.rounds >= (1 if small else 0)
    for key in small:
        assert _safe(*exact(master, shown, set(result.hidden), key), k), key
        assert result.intervals[key].safe(k)


def test_protection_never_hides_a_pinned_number_and_refuses_a_small_pinned_one() -> None:
    cube = {("threats", "bishkek", "2026-Q1"): 2, ("threats", "naryn", "2026-Q1"): 7,
            ("raid", "bishkek", "2026-Q1"): 9, ("raid", "naryn", "2026-Q1"): 6}
    master = build(AXES, cube, {"perpetrator": {}, "target": {}})
    shown = set(master.members)
    small_key = ("cube", "threats", "bishkek", "2026-Q1")
    with pytest.raises(ProtectionError, match="published earlier is now below"):
        protect(master, shown, 5, pinned=frozenset({small_key}))
    neighbours = frozenset({("cube", "threats", "naryn", "2026-Q1"),
                            ("cube", "raid", "bishkek", "2026-Q1")})
    result = protect(master, shown, 5, pinned=neighbours)
    assert small_key in result.hidden and not result.hidden & neighbours
    assert _safe(*exact(master, shown, set(result.hidden), small_key), 5)


def test_a_number_that_cannot_be_protected_is_an_error_not_a_leak() -> None:
    """Everything around the one small number is published elsewhere: refuse."""
    cube = {("threats", "bishkek", "2026-Q1"): 2, ("threats", "naryn", "2026-Q1"): 7}
    master = build(AXES, cube, {"perpetrator": {}, "target": {}})
    shown = set(master.members)
    pinned = frozenset(key for key in shown if master.values[key] >= 5)
    with pytest.raises(ProtectionError, match="no number left to hide"):
        protect(master, shown, 5, pinned=pinned)


def test_importing_the_audit_prints_nothing_on_standard_output(
        capfd: pytest.CaptureFixture[str]) -> None:
    """HiGHS prints a banner on standard output once per process; `intake stats export`
    writes its file there, so the import silences it and gives standard output back."""
    code = ("import intake.stats.audit, highspy; highspy.Highs(); "
            "print('after', flush=True)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout == "after\n"
    # It runs at import, before any test; called again here (the banner is already out),
    # standard output must still work afterwards, and the mutation run sees this test.
    audit._first_highs()
    print("still here", flush=True)
    assert capfd.readouterr().out == "still here\n"


# Three acts, regions and quarters over two years: here the linear relaxation's optimum is
# sometimes not a whole-number point, which the small tables above never give, so the
# audit's integer checks (rounding down, `reaches`, the conservative verdicts) run. Each
# case was picked for the branches it takes: fractional maximum and/or minimum, integer
# check found a point or did not.
WIDE = Axes(acts=["threats", "surveillance", "raid"], regions=["bishkek", "naryn", "talas"],
            codes={"perpetrator": ["police"], "target": ["lawyer"]},
            quarters=["2025-Q4", "2026-Q1", "2026-Q2"])
FRACTIONAL = [
    ({("threats", "talas", "2026-Q2"): 13, ("surveillance", "bishkek", "2025-Q4"): 1,
      ("raid", "bishkek", "2026-Q2"): 7, ("threats", "bishkek", "2025-Q4"): 5,
      ("surveillance", "naryn", "2025-Q4"): 3, ("surveillance", "bishkek", "2026-Q1"): 7,
      ("raid", "naryn", "2026-Q2"): 14, ("threats", "naryn", "2025-Q4"): 1,
      ("raid", "naryn", "2025-Q4"): 12, ("raid", "talas", "2026-Q1"): 4}, 5),
    ({("threats", "bishkek", "2026-Q1"): 1, ("threats", "bishkek", "2026-Q2"): 7,
      ("threats", "talas", "2025-Q4"): 1, ("surveillance", "naryn", "2026-Q2"): 10,
      ("surveillance", "talas", "2026-Q2"): 10, ("raid", "bishkek", "2026-Q2"): 8,
      ("surveillance", "bishkek", "2026-Q1"): 5, ("surveillance", "naryn", "2026-Q1"): 2}, 8),
    ({("surveillance", "bishkek", "2025-Q4"): 5, ("raid", "talas", "2026-Q1"): 4,
      ("raid", "talas", "2026-Q2"): 3, ("threats", "talas", "2026-Q1"): 13,
      ("threats", "bishkek", "2025-Q4"): 1, ("threats", "naryn", "2026-Q2"): 5,
      ("surveillance", "bishkek", "2026-Q1"): 13, ("raid", "bishkek", "2026-Q1"): 7}, 6),
    ({("threats", "talas", "2026-Q2"): 4, ("threats", "naryn", "2025-Q4"): 3,
      ("raid", "naryn", "2026-Q1"): 2, ("threats", "bishkek", "2026-Q2"): 14,
      ("surveillance", "bishkek", "2025-Q4"): 5}, 3),
    ({("threats", "talas", "2026-Q1"): 14, ("threats", "naryn", "2025-Q4"): 12,
      ("surveillance", "bishkek", "2026-Q2"): 10, ("raid", "talas", "2025-Q4"): 10,
      ("surveillance", "naryn", "2026-Q1"): 6, ("surveillance", "naryn", "2026-Q2"): 7,
      ("raid", "naryn", "2026-Q2"): 7, ("threats", "bishkek", "2026-Q1"): 9,
      ("threats", "talas", "2026-Q2"): 2, ("raid", "bishkek", "2026-Q2"): 3,
      ("threats", "naryn", "2026-Q2"): 0}, 7),
    ({("threats", "bishkek", "2025-Q4"): 3, ("surveillance", "talas", "2026-Q1"): 10,
      ("raid", "bishkek", "2026-Q1"): 6, ("raid", "talas", "2026-Q2"): 5,
      ("surveillance", "bishkek", "2025-Q4"): 12, ("threats", "naryn", "2026-Q2"): 4}, 5),
    ({("raid", "talas", "2025-Q4"): 4, ("threats", "bishkek", "2026-Q2"): 7,
      ("raid", "bishkek", "2025-Q4"): 0, ("raid", "naryn", "2026-Q2"): 8,
      ("threats", "bishkek", "2026-Q1"): 4, ("surveillance", "naryn", "2026-Q2"): 13,
      ("raid", "bishkek", "2026-Q2"): 13, ("surveillance", "bishkek", "2026-Q1"): 5}, 7),
]


def _numbered(master: Master) -> tuple[dict[Any, int], dict[int, tuple[int, ...]],
                                       list[list[int]], list[Equation]]:
    """The same system with whole numbers for names. Sets of text tuples iterate in an
    order that changes with each process's hash seed, and where the relaxation has several
    optimal points that order decides which one the solver returns (and so whether the
    audit must fall back to its conservative verdict); numbered, a run is repeatable."""
    number = {key: i for i, key in enumerate(sorted(master.members))}
    members = {number[key]: m for key, m in master.members.items()}
    containing = [[number[key] for key in keys] for keys in master.containing]
    equations = [Equation(number[eq.total], tuple(number[p] for p in eq.parts))
                 for eq in master.equations]
    return number, members, containing, equations


@pytest.mark.parametrize(("cube", "k"), FRACTIONAL)
def test_audit_verdicts_are_exact_where_the_relaxation_is_fractional(
        cube: dict[Any, int], k: int) -> None:
    master = build(WIDE, cube, {"perpetrator": {}, "target": {}})
    shown = set(master.members)
    small = primaries(master, shown, k)
    number, members, containing, equations = _numbered(master)
    values = {number[key]: value for key, value in master.values.items()}
    first_round = complete(values, equations, {number[key] for key in small})
    found = intervals(members, master.base, set(number.values()), first_round, containing,
                      sorted(number[key] for key in small), k)
    hidden = {key for key in shown if number[key] in first_round}
    for key in small:
        lo, hi = exact(master, shown, hidden, key)
        got = found[number[key]]
        if got.safe(k) != _safe(lo, hi, k):
            # The one difference allowed: a minimum at a fractional point is not trusted,
            # the number's own value stands in for it, and the verdict errs to "unsafe".
            assert not got.safe(k) and got.lo == master.values[key] > lo, (key, got, lo, hi)
        assert got.lo <= master.values[key] <= got.hi, (key, got)
        if got.safe(k):
            assert lo <= got.lo and got.hi <= hi, (key, got, lo, hi)


@pytest.mark.parametrize(("cube", "k"), FRACTIONAL)
def test_protection_of_wide_tables_is_never_narrower_than_exact(
        cube: dict[Any, int], k: int) -> None:
    """Whichever optimal point the solver returns (it may differ between processes), what
    protection hides leaves every small number exactly safe, and the audit never calls a
    number safe that is not."""
    master = build(WIDE, cube, {"perpetrator": {}, "target": {}})
    shown = set(master.members)
    result = protect(master, shown, k)
    for key in primaries(master, shown, k):
        lo, hi = exact(master, shown, set(result.hidden), key)
        assert _safe(lo, hi, k), key
        got = result.intervals[key]
        assert lo <= got.lo and got.hi <= hi, (key, got, lo, hi)


def test_numbers_asked_to_be_hidden_stay_hidden() -> None:
    cube = {("threats", "bishkek", "2026-Q1"): 2, ("threats", "naryn", "2026-Q1"): 7,
            ("raid", "bishkek", "2026-Q1"): 9, ("raid", "naryn", "2026-Q1"): 6}
    master = build(AXES, cube, {"perpetrator": {}, "target": {}})
    shown = set(master.members)
    asked = ("cube", "*", "*", "all")  # the grand total: nothing small needs it hidden
    assert asked not in protect(master, shown, 5).hidden
    assert asked in protect(master, shown, 5, hidden={asked}).hidden
