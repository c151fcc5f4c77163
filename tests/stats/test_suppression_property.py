"""Property, without a database: every period of one protected result, attacked together.

Random base counts go through the same protection as the app (intake.stats.compute); the
attacker (tests/stats/attacker.py) gets every period's payload in CSV and JSON and solves
the integer interval problem over all of them. Many more examples than the end-to-end test
(test_attacker_property.py) can afford.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from intake.stats.compute import payload, protect_counts
from intake.stats.exports import to_csv, to_json
from tests.stats import attacker, checker
from tests.stats.test_attacker_property import csv_payload

# `make mutation` runs a quarter of the examples per mutant (INTAKE_PROPERTY_SCALE=0.25).
SCALE = float(os.environ.get("INTAKE_PROPERTY_SCALE", "1"))
ACTS = ["threats", "surveillance", "raid"]
REGIONS = ["bishkek", "naryn", "talas"]
QUARTERS = ["2025-Q4", "2026-Q1", "2026-Q2"]
PERPS = ["police", "unknown", "security_service"]
TARGETS = ["lawyer", "journalist"]

counts = st.integers(min_value=0, max_value=14)
cubes = st.dictionaries(
    st.tuples(st.sampled_from(ACTS), st.sampled_from(REGIONS), st.sampled_from(QUARTERS)),
    counts, max_size=14)
one_ways = st.fixed_dictionaries({
    "perpetrator": st.dictionaries(st.tuples(st.sampled_from(PERPS), st.sampled_from(QUARTERS)),
                                   counts, max_size=5),
    "target": st.dictionaries(st.tuples(st.sampled_from(TARGETS), st.sampled_from(QUARTERS)),
                              counts, max_size=4)})


def _base(cube: dict[Any, int], one_way: dict[str, dict[Any, int]]) -> dict[tuple[str, ...], int]:
    base = {("c", *key): n for key, n in cube.items()}
    for vocabulary, values in one_way.items():
        base.update({(vocabulary, *key): n for key, n in values.items()})
    return base


@hsettings(max_examples=max(1, round(60 * SCALE)), deadline=None)
@given(cube=cubes, one_way=one_ways, k=st.integers(min_value=2, max_value=8))
def test_all_periods_in_every_format_reveal_no_small_number(cube: dict[Any, int],
                                                            one_way: dict[str, Any],
                                                            k: int) -> None:
    _master, audit, result = protect_counts(cube, one_way, ("bishkek", "naryn", "talas"), k, 0,
                                            datetime(2026, 1, 1, tzinfo=UTC))
    outputs = []
    for period in result.periods:
        data = payload(result, period)
        outputs.append(json_payload := json.loads(to_json(data)))
        outputs.append(csv_payload(to_csv(data)))
        assert checker.small_published(checker.all_values(json_payload["tables"]), k) == []
    assert all(interval.safe(k) for interval in audit.intervals.values())
    quarters = result.axes.quarters
    found = attacker.violations(attacker.attack(outputs, quarters), _base(cube, one_way), k)
    assert found == []


def test_checker_finds_a_cell_left_alone_in_its_row() -> None:
    """The checker itself must be able to fail: an unprotected table is caught."""
    table = {"id": "t", "row_vocabulary": "act_type", "column_vocabulary": "region",
             "rows": ["a", "b"], "columns": ["r1", "r2"],
             "cells": [["<5", 7], [6, 8]], "row_totals": [10, 14],
             "column_totals": [9, 15], "total": 24}
    assert checker.recoverable([table]) == {("t", 0, 0): 3}


def test_attacker_pins_the_row_total_of_six() -> None:
    """The attacker can fail too: `<5` beside one other hidden cell in a row of 6."""
    out = {"threshold": 5, "filters": {"period": "all"}, "hidden_min": 1, "tables": [
        {"id": "act_region", "rows": ["raid", "threats"], "columns": ["naryn", "talas"],
         "cells": [["<5", "x"], ["x", "x"]], "row_totals": [6, 16],
         "column_totals": [8, 14], "total": 22},
        {"id": "act_quarter", "rows": ["raid", "threats"], "columns": ["2026-Q1"],
         "cells": [[6], [16]], "row_totals": [6, 16], "column_totals": [22], "total": 22}]}
    base = {("c", "raid", "naryn", "2026-Q1"): 1, ("c", "raid", "talas", "2026-Q1"): 5,
            ("c", "threats", "naryn", "2026-Q1"): 7, ("c", "threats", "talas", "2026-Q1"): 9}
    found = attacker.violations(attacker.attack([out], ["2026-Q1"]), base, 5)
    assert found and "true 1" in found[0]
