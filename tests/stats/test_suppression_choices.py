"""Which values suppression hides, and how each hidden value is marked, on small known tables.

The property test proves nothing small is published and nothing hidden can be recovered;
these pin down the choices it leaves open: the complement is the smallest non-zero cell (so
as little as possible is lost), zeros are never used, and only values that really are small
are marked "<k" (a complementary value is marked "x", never claimed to be small).
"""

from __future__ import annotations

from intake.stats.publish import COMPLEMENTARY, protect_tables
from intake.stats.suppression import Equation, primary, protect
from intake.stats.tables import RawTable

K = 3


def _one_way(counts: list[int]) -> RawTable:
    rows = [f"r{i}" for i in range(len(counts))]
    return RawTable("t", "perpetrator", None, rows, ["count"], [[c] for c in counts])


def _two_way(cells: list[list[int]]) -> RawTable:
    return RawTable("m", "act_type", "region", [f"a{i}" for i in range(len(cells))],
                    [f"c{j}" for j in range(len(cells[0]))], cells)


def _cells(table: dict) -> list:
    return [row[0] for row in table["cells"]]


def test_complement_is_the_smallest_non_zero_cell_and_is_marked_x() -> None:
    [table] = protect_tables([_one_way([2, 0, 9, 6, 4])], K)
    assert _cells(table) == [f"<{K}", 0, 9, 6, COMPLEMENTARY]
    assert table["total"] == 21


def test_a_complementary_cell_is_never_marked_small() -> None:
    """A hidden 5 marked "<3" would be a false statement in a public report."""
    [table] = protect_tables([_one_way([1, 5, 7])], K)
    assert _cells(table) == [f"<{K}", COMPLEMENTARY, 7]
    assert f"<{K}" != COMPLEMENTARY


def test_ties_are_broken_by_key_so_output_is_stable() -> None:
    [table] = protect_tables([_one_way([2, 5, 5])], K)
    assert _cells(table) == [f"<{K}", COMPLEMENTARY, 5]


def test_when_no_cell_can_be_hidden_the_total_is() -> None:
    """grand = row0 + row1 where row1 is itself a total: hide grand, not a part of row1."""
    values = {"grand": 10, "row0": 2, "row1": 8, "a": 2, "b": 8}
    equations = [Equation("row0", ("a",)), Equation("row1", ("b",)),
                 Equation("grand", ("row0", "row1"))]
    assert protect(values, equations, K) == {"row0", "a", "grand"}


def test_zero_cells_are_never_used_as_complements() -> None:
    values = {"total": 1, "a": 0, "b": 1, "t2": 10, "c": 0, "d": 9}
    equations = [Equation("total", ("a", "b")), Equation("t2", ("total", "c", "d"))]
    # t2 = total + c + d has one unknown (total): hide d (9), never c (0).
    assert protect(values, equations, K) == {"total", "b", "d"}


def test_primary_is_exactly_one_to_k_minus_one() -> None:
    values = {"zero": 0, "one": 1, "below": K - 1, "at": K, "above": K + 5}
    assert primary(values, K) == {"one", "below"}


def test_two_way_table_marks_totals_consistently() -> None:
    [table] = protect_tables([_two_way([[1, 8], [6, 9]])], K)
    assert table["cells"][0][0] == f"<{K}"
    hidden = [v for row in table["cells"] for v in row if isinstance(v, str)]
    hidden += [v for v in table["row_totals"] + table["column_totals"] if isinstance(v, str)]
    assert hidden.count(f"<{K}") == 1  # only the 1 is small; everything else hidden is "x"
    assert set(hidden) == {f"<{K}", COMPLEMENTARY}
    assert table["total"] == 24


def test_with_the_total_hidden_and_only_totals_left_the_smallest_one_is_hidden() -> None:
    """The last resort hides as little as possible: the smaller part, not the first by name."""
    from intake.stats.suppression import _complement

    values = {"t": 13, "r1": 9, "r2": 4}
    eq = Equation("t", ("r1", "r2"))
    assert _complement(eq, values, {"t"}, {"t", "r1", "r2"}) == "r2"
