"""Turn raw tables into publishable ones: one equation system, one suppression pass."""

from __future__ import annotations

from typing import Any

from intake.stats.suppression import Equation, Key, primary, protect
from intake.stats.tables import RawTable

COMPLEMENTARY = "x"


def _system(tables: list[RawTable]) -> tuple[dict[Key, int], list[Equation]]:
    """Every value that may be published and every `total = sum` relation between them."""
    values: dict[Key, int] = {}
    equations: list[Equation] = []
    for t in tables:
        cells = [[(t.id, "c", i, j) for j in range(len(t.columns))] for i in range(len(t.rows))]
        for i, row in enumerate(cells):
            for j, key in enumerate(row):
                values[key] = t.cells[i][j]
        grand = ("grand", t.margin or t.id)
        _put(values, grand, t.total)
        if t.column_vocabulary is None:
            equations.append(Equation(grand, tuple(key for row in cells for key in row)))
            continue
        row_keys = [("row", t.margin or t.id, i) for i in range(len(t.rows))]
        col_keys = [(t.id, "col", j) for j in range(len(t.columns))]
        for i, row_key in enumerate(row_keys):
            _put(values, row_key, t.row_totals[i])
            equations.append(Equation(row_key, tuple(cells[i])))
        for j, col_key in enumerate(col_keys):
            values[col_key] = t.column_totals[j]
            equations.append(Equation(col_key, tuple(row[j] for row in cells)))
        equations.append(Equation(grand, tuple(row_keys)))
        equations.append(Equation(grand, tuple(col_keys)))
    return values, equations


def _put(values: dict[Key, int], key: Key, value: int) -> None:
    """A margin shared by two tables must be the same number in both."""
    if key in values and values[key] != value:
        raise ValueError(f"tables disagree on shared margin {key!r}")
    values[key] = value


def protect_tables(tables: list[RawTable], k: int) -> list[dict[str, Any]]:
    """Suppress small and complementary values across all tables; return JSON-ready tables."""
    values, equations = _system(tables)
    hidden = protect(values, equations, k)
    small = primary(values, k)

    def shown(key: Key) -> int | str:
        if key not in hidden:
            return values[key]
        return f"<{k}" if key in small else COMPLEMENTARY

    out = []
    for t in tables:
        two_way = t.column_vocabulary is not None
        out.append({
            "id": t.id,
            "row_vocabulary": t.row_vocabulary,
            "column_vocabulary": t.column_vocabulary,
            "rows": t.rows,
            "columns": t.columns,
            "cells": [[shown((t.id, "c", i, j)) for j in range(len(t.columns))]
                      for i in range(len(t.rows))],
            "row_totals": [shown(("row", t.margin or t.id, i)) for i in range(len(t.rows))]
            if two_way else None,
            "column_totals": [shown((t.id, "col", j)) for j in range(len(t.columns))]
            if two_way else None,
            "total": shown(("grand", t.margin or t.id)),
        })
    return out
