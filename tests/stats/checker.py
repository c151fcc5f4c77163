"""An attacker's view of published tables: parse every format, then subtract along totals.

Written independently of intake.stats.suppression, from the published output only.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

Table = dict[str, Any]
CELL_RE = re.compile(r'<td class="num">([^<]*)</td>')
TABLE_RE = re.compile(r'<section class="stats-table">.*?</section>', re.S)


def from_json(data: bytes | str) -> list[Table]:
    """Tables of a JSON export or a release payload."""
    return json.loads(data)["tables"]


def from_csv(data: bytes) -> list[Table]:
    """Rebuild the tables from the CSV blocks (cells as the strings a reader sees)."""
    rows = list(csv.reader(io.StringIO(data.decode())))
    tables: list[Table] = []
    i = 0
    while i < len(rows):
        if rows[i][:1] == ["table"]:
            header = rows[i + 1]
            two_way = header[-1] == "total"
            columns = header[2:-1] if two_way else header[2:]
            body, j = [], i + 2
            while rows[j][0] != "total":
                body.append(rows[j])
                j += 1
            last = rows[j]
            table = {"id": rows[i][1], "row_vocabulary": header[0],
                     "column_vocabulary": "x" if two_way else None,
                     "rows": [r[0] for r in body], "columns": columns}
            if two_way:
                table["cells"] = [r[2:-1] for r in body]
                table["row_totals"] = [r[-1] for r in body]
                table["column_totals"] = last[2:-1]
            else:
                table["cells"] = [r[2:] for r in body]
                table["row_totals"] = table["column_totals"] = None
            table["total"] = last[-1]
            tables.append(table)
            i = j
        i += 1
    return tables


def html_values(html: str) -> list[str]:
    """Every number cell of the statistics tables of a rendered page (not the releases
    list, whose threshold and epsilon cells are numbers too)."""
    return [v for table in TABLE_RE.findall(html) for v in CELL_RE.findall(table)]


def all_values(tables: list[Table]) -> list[Any]:
    """Every published cell and total."""
    out: list[Any] = []
    for t in tables:
        for row in t["cells"]:
            out.extend(row)
        out.extend(t["row_totals"] or [])
        out.extend(t["column_totals"] or [])
        out.append(t["total"])
    return out


def _number(value: Any) -> int | None:
    """A published number, or None when the value is hidden."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def equations(tables: list[Table]) -> tuple[dict[Any, int | None], list[tuple[Any, list[Any]]]]:
    """Unknowns and `total = sum(parts)` relations, with margins shared across tables.

    Two tables over the same row vocabulary share their row totals and grand total (the
    attacker may assume so); a one-way table over that vocabulary equals that margin too.
    """
    values: dict[Any, int | None] = {}
    eqs: list[tuple[Any, list[Any]]] = []

    def put(key: Any, raw: Any) -> None:
        number = _number(raw)
        if values.get(key) is None:
            values[key] = number

    for t in tables:
        vocab = t["row_vocabulary"]
        cells = [[(t["id"], i, j) for j in range(len(t["columns"]))] for i in range(len(t["rows"]))]
        for i, row in enumerate(cells):
            for j, key in enumerate(row):
                put(key, t["cells"][i][j])
        grand = ("grand", vocab)
        put(grand, t["total"])
        margin = [("row", vocab, code) for code in t["rows"]]
        if t["row_totals"] is None:
            for i, key in enumerate(margin):
                put(key, t["cells"][i][0])
                eqs.append((key, [cells[i][0]]))
                eqs.append((cells[i][0], [key]))
        else:
            cols = [(t["id"], "col", j) for j in range(len(t["columns"]))]
            for i, key in enumerate(margin):
                put(key, t["row_totals"][i])
                eqs.append((key, cells[i]))
            for j, key in enumerate(cols):
                put(key, t["column_totals"][j])
                eqs.append((key, [row[j] for row in cells]))
            eqs.append((grand, cols))
        eqs.append((grand, margin))
    return values, eqs


def recoverable(tables: list[Table]) -> dict[Any, int]:
    """Hidden values recovered by repeated subtraction along every published total."""
    values, eqs = equations(tables)
    known = {k: v for k, v in values.items() if v is not None}
    hidden = {k for k, v in values.items() if v is None}
    progress = True
    while progress:
        progress = False
        for total, parts in eqs:
            members = [total, *parts]
            unknown = [m for m in members if m not in known]
            if len(unknown) != 1:
                continue
            missing = unknown[0]
            if missing == total:
                known[missing] = sum(known[p] for p in parts)
            else:
                known[missing] = known[total] - sum(known[p] for p in parts if p != missing)
            progress = True
    return {k: known[k] for k in hidden if k in known}


def small_published(values: list[Any], k: int) -> list[Any]:
    """Published numbers from 1 to k−1 (there must be none)."""
    return [v for v in values if (n := _number(v)) is not None and 0 < n < k]


def markers_ok(values: list[Any], k: int) -> bool:
    """Everything not a number is one of the two markers."""
    return all(_number(v) is not None or str(v).strip() in (f"&lt;{k}", f"<{k}", "x")
               for v in values)
