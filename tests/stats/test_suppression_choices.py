"""Which values the subtraction pass hides, on small known equations.

The attacker property tests prove nothing small can be pinned; these pin down the choices
they leave open: the complement is the smallest non-zero part (so as little as possible is
lost), zeros are never hidden, pinned (already published) numbers are never hidden, the
total goes only when no part can, and no equation is left with exactly one unknown.
"""

from __future__ import annotations

from intake.stats.suppression import Equation, complete


def _row(values: list[int]) -> tuple[dict[str, int], Equation]:
    named = {f"p{i}": v for i, v in enumerate(values)}
    named["total"] = sum(values)
    return named, Equation("total", tuple(f"p{i}" for i in range(len(values))))


def test_complement_is_the_smallest_non_zero_part() -> None:
    values, eq = _row([2, 0, 9, 6, 4])
    assert complete(values, [eq], {"p0"}) == {"p0", "p4"}


def test_zeros_are_never_hidden() -> None:
    values, eq = _row([1, 0, 0, 7])
    assert complete(values, [eq], {"p0"}) == {"p0", "p3"}


def test_pinned_numbers_are_never_hidden() -> None:
    values, eq = _row([1, 2, 7])
    assert complete(values, [eq], {"p0"}, pinned={"p1"}) == {"p0", "p2"}


def test_the_total_goes_only_when_no_part_can() -> None:
    values, eq = _row([1, 0, 0])
    assert complete(values, [eq], {"p0"}) == {"p0", "total"}


def test_nothing_more_is_hidden_when_nothing_is_recoverable() -> None:
    values, eq = _row([1, 2, 7])
    assert complete(values, [eq], {"p0", "p1"}) == {"p0", "p1"}
    assert complete(values, [eq], set()) == set()


def test_a_chain_of_equations_is_followed_to_the_end() -> None:
    """Hiding a complement in one row can leave a column with one unknown: follow it."""
    values = {"a": 1, "b": 5, "row": 6, "c": 4, "col": 9}
    row = Equation("row", ("a", "b"))
    col = Equation("col", ("b", "c"))
    hidden = complete(values, [row, col], {"a"})
    assert hidden == {"a", "b", "c"}
    for eq in (row, col):
        assert sum(1 for m in eq.members if m in hidden) != 1


def test_a_row_with_nothing_left_to_hide_does_not_stop_the_others() -> None:
    """Where every other member is published elsewhere nothing can be added; the pass goes
    on with the other equations, in whichever order they come."""
    values = {"a": 1, "b": 6, "t1": 7, "c": 5, "t2": 6}
    free = Equation("t2", ("a", "c"))
    blocked = Equation("t1", ("a", "b"))
    for equations in ([free, blocked], [blocked, free]):
        assert complete(values, equations, {"a"}, pinned={"b", "t1"}) == {"a", "c"}
