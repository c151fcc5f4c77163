"""The stored statistics formats, typed: a period's payload (exports, releases) and a generation.

Releases are kept for years and the transparency page reads them back; a generation is read
back on every view. Both are encoded and decoded here only (intake.payloads re-exports
them), with a version check, so nothing reads them as loose JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypedDict

from intake.stats.master import Axes, Key

HIDDEN = "x"
PAYLOAD_VERSION = 2
GENERATION_VERSION = 1
Shown = int | str  # a published number, or HIDDEN
NumberRow = tuple[str, str, str, str, Shown]  # (family, row, column, period, number)


class StatsPayloadError(ValueError):
    """A stored statistics payload or generation we cannot read."""


@dataclass(frozen=True)
class ProtectedResult:
    """Every number of every period: published ones as numbers, hidden ones as HIDDEN."""

    axes: Axes
    numbers: dict[Key, Shown]
    threshold: int
    epsilon: float
    generated_at: str

    @property
    def periods(self) -> list[str]:
        """The periods a filter may choose."""
        return self.axes.periods


class Table(TypedDict):
    """One protected table: numbers or the hidden symbol, with its totals."""

    id: str
    row_vocabulary: str
    column_vocabulary: str | None
    rows: list[str]
    columns: list[str]
    cells: list[list[Shown]]
    row_totals: list[Shown] | None
    column_totals: list[Shown] | None
    total: Shown


class StatsPayload(TypedDict):
    """One period of a protected result: what every format renders and releases freeze."""

    version: int
    note: str
    hidden_symbol: str
    hidden_note: str
    hidden_min: int
    generated_at: str
    filters: dict[str, str]
    periods: list[str]
    threshold: int
    epsilon: float
    tables: list[Table]
    numbers: list[NumberRow]


def _shown(value: object, marker_ok: bool = False) -> Shown:
    """A number ≥ 0 or the hidden symbol (or, in version 1 tables, the old `<k` marker)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if value == HIDDEN or (marker_ok and isinstance(value, str) and value.startswith("<")):
        return str(value)
    raise StatsPayloadError(f"not a published number: {value!r}")


def _row(raw: object) -> NumberRow:
    if not isinstance(raw, list) or len(raw) != 5 or not all(isinstance(v, str)
                                                             for v in raw[:4]):
        raise StatsPayloadError("a number row is not (family, row, column, period, number)")
    return (raw[0], raw[1], raw[2], raw[3], _shown(raw[4]))


def _texts(raw: object) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise StatsPayloadError("a list of names is not")
    return list(raw)


def _numbers(raw: object) -> list[Shown] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise StatsPayloadError("totals are not a list")
    return [_shown(v, marker_ok=True) for v in raw]


def _table(raw: object) -> Table:
    if not isinstance(raw, dict):
        raise StatsPayloadError("a table is not an object")
    cells = raw["cells"]
    if not isinstance(cells, list):
        raise StatsPayloadError("cells are not a list")
    column_vocabulary = raw["column_vocabulary"]
    if column_vocabulary is not None and not isinstance(column_vocabulary, str):
        raise StatsPayloadError("column vocabulary is not a name")
    return {"id": str(raw["id"]), "row_vocabulary": str(raw["row_vocabulary"]),
            "column_vocabulary": column_vocabulary, "rows": _texts(raw["rows"]),
            "columns": _texts(raw["columns"]),
            "cells": [_numbers(row) or [] for row in cells],
            "row_totals": _numbers(raw["row_totals"]),
            "column_totals": _numbers(raw["column_totals"]),
            "total": _shown(raw["total"], marker_ok=True)}


def encode_payload(payload: StatsPayload) -> str:
    """A release as stored."""
    return json.dumps(payload, ensure_ascii=False)


def decode_payload(text: str) -> StatsPayload:
    """A stored release back, checked: later audits and the transparency page use it."""
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict) or raw.get("version") not in (1, PAYLOAD_VERSION):
            raise StatsPayloadError("release: unsupported format version")
        filters = raw["filters"]
        if not isinstance(filters, dict):
            raise StatsPayloadError("release: filters are not an object")
        return {"version": int(raw["version"]), "note": str(raw["note"]),
                "hidden_symbol": str(raw.get("hidden_symbol", HIDDEN)),
                "hidden_note": str(raw.get("hidden_note", "")),
                "hidden_min": int(raw.get("hidden_min", 0)),
                "generated_at": str(raw["generated_at"]),
                "filters": {str(k): str(v or "") for k, v in filters.items()},
                "periods": _texts(raw.get("periods", [])),
                "threshold": int(raw["threshold"]), "epsilon": float(raw["epsilon"] or 0),
                "tables": [_table(t) for t in raw["tables"]],
                "numbers": [_row(r) for r in raw.get("numbers", [])]}
    except StatsPayloadError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise StatsPayloadError("release: not a stored statistics payload") from exc


def encode_generation(result: ProtectedResult) -> str:
    """A protected result as stored: its axes and every number, published or HIDDEN."""
    axes = result.axes
    return json.dumps({
        "v": GENERATION_VERSION, "threshold": result.threshold, "epsilon": result.epsilon,
        "generated_at": result.generated_at,
        "axes": {"acts": axes.acts, "regions": axes.regions, "codes": axes.codes,
                 "quarters": axes.quarters},
        "numbers": [[*key, value] for key, value in result.numbers.items()],
    }, ensure_ascii=False, separators=(",", ":"))


def decode_generation(text: str) -> ProtectedResult:
    """Inverse of encode_generation; StatsPayloadError for anything else."""
    try:
        raw = json.loads(text)
        if raw["v"] != GENERATION_VERSION:
            raise StatsPayloadError("generation: unsupported format version")
        axes = raw["axes"]
        numbers: dict[Key, Shown] = {}
        for r in raw["numbers"]:
            family, row, col, period, value = _row(r)
            numbers[(family, row, col, period)] = value
        return ProtectedResult(
            Axes(acts=list(axes["acts"]), regions=list(axes["regions"]),
                 codes={k: list(v) for k, v in axes["codes"].items()},
                 quarters=list(axes["quarters"])),
            numbers, int(raw["threshold"]), float(raw["epsilon"]), str(raw["generated_at"]))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, StatsPayloadError):
            raise
        raise StatsPayloadError("generation: not a stored protected result") from exc
