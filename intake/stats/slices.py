"""Outputs select from the one protected result: the tables of one period, nothing computed.

A slice only looks numbers up in the protected result (published, or the hidden symbol); it
never adds counts up, so no filter, format, release or page can show a sum the protection
did not see.
"""

from __future__ import annotations

from collections.abc import Callable

from intake.stats.master import ANY, CUBE, ONE_WAY, Key, period_keys
from intake.stats.payload import HIDDEN, NumberRow, ProtectedResult, Table
from intake.stats.periods import quarters_in

__all__ = ["HIDDEN", "ProtectedResult", "numbers", "tables"]


def _two_way(result: ProtectedResult, table_id: str, rows: list[str], columns: list[str],
             column_vocabulary: str, cell: Callable[[str, str], Key],
             column_total: Callable[[str], Key], row_total: Callable[[str], Key],
             total: Key) -> Table:
    n = result.numbers
    return {"id": table_id, "row_vocabulary": "act_type", "column_vocabulary": column_vocabulary,
            "rows": rows, "columns": columns,
            "cells": [[n[cell(r, c)] for c in columns] for r in rows],
            "row_totals": [n[row_total(r)] for r in rows],
            "column_totals": [n[column_total(c)] for c in columns],
            "total": n[total]}


def tables(result: ProtectedResult, period: str) -> list[Table]:
    """The four tables of one period, JSON-ready."""
    axes, n = result.axes, result.numbers
    quarters = quarters_in(period, axes.quarters)
    out = [
        _two_way(result, "act_region", axes.acts, axes.regions, "region",
                 lambda a, r: (CUBE, a, r, period), lambda r: (CUBE, ANY, r, period),
                 lambda a: (CUBE, a, ANY, period), (CUBE, ANY, ANY, period)),
        _two_way(result, "act_quarter", axes.acts, quarters, "period",
                 lambda a, q: (CUBE, a, ANY, q), lambda q: (CUBE, ANY, ANY, q),
                 lambda a: (CUBE, a, ANY, period), (CUBE, ANY, ANY, period)),
    ]
    for vocabulary in ONE_WAY:
        rows = axes.codes[vocabulary]
        out.append({"id": vocabulary, "row_vocabulary": vocabulary, "column_vocabulary": None,
                    "rows": rows, "columns": ["count"],
                    "cells": [[n[(vocabulary, code, "", period)]] for code in rows],
                    "row_totals": None, "column_totals": None,
                    "total": n[(vocabulary, ANY, "", period)]})
    return out


def numbers(result: ProtectedResult, period: str) -> list[NumberRow]:
    """The slice as (family, row, column, period, number) rows: what releases keep to audit."""
    return [(*key, result.numbers[key]) for key in period_keys(result.axes, period)]
