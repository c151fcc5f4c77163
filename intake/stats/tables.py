"""The tables of one statistics output, built from database counts, before protection."""

from __future__ import annotations

from dataclasses import dataclass

from intake.vocab import ACT_TYPES, PERPETRATORS, TARGETS, region_choices


@dataclass
class RawTable:
    """Counts (possibly noisy) with their margins; `margin` names row totals shared by tables."""

    id: str
    row_vocabulary: str
    column_vocabulary: str | None
    rows: list[str]
    columns: list[str]
    cells: list[list[int]]
    margin: str | None = None

    @property
    def row_totals(self) -> list[int]:
        return [sum(row) for row in self.cells]

    @property
    def column_totals(self) -> list[int]:
        return [sum(row[j] for row in self.cells) for j in range(len(self.columns))]

    @property
    def total(self) -> int:
        return sum(self.row_totals)


def _ordered(known: list[str], seen: set[str]) -> list[str]:
    """Vocabulary order first, then any code found in the data (sorted)."""
    return known + sorted(seen - set(known))


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from `first` to `last`, so a trend has no silent gaps."""
    year, quarter = int(first[:4]), int(first[-1])
    out = []
    while f"{year}-Q{quarter}" <= last:
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def cube_axes(cube: dict[tuple[str, str, str], int], regions: tuple[str, ...],
              quarter_from: str | None, quarter_to: str | None
              ) -> tuple[list[str], list[str], list[str]]:
    """Rows (act types), regions and quarters of the cube: the vocabulary plus what is present."""
    acts = _ordered(list(ACT_TYPES), {a for a, _r, _q in cube})
    region_codes = _ordered([c for c, _l in region_choices(regions)], {r for _a, r, _q in cube})
    present = sorted({q for _a, _r, q in cube})
    first = quarter_from or (present[0] if present else None)
    last = quarter_to or (present[-1] if present else None)
    quarters = quarters_between(first, last) if first and last else []
    if len(quarters) > 200:  # an absurd range: show only quarters with data
        quarters = present
    return acts, region_codes, quarters


def margins_of_cube(cube: dict[tuple[str, str, str], int], acts: list[str],
                    regions: list[str], quarters: list[str]) -> list[RawTable]:
    """Act type × region and act type × quarter: two margins of one cube, so they agree."""
    ai = {a: i for i, a in enumerate(acts)}
    ri = {r: j for j, r in enumerate(regions)}
    qi = {q: j for j, q in enumerate(quarters)}
    by_region = [[0] * len(regions) for _ in acts]
    by_quarter = [[0] * len(quarters) for _ in acts]
    for (a, r, q), n in cube.items():
        if a in ai and r in ri and q in qi:
            by_region[ai[a]][ri[r]] += n
            by_quarter[ai[a]][qi[q]] += n
    return [
        RawTable("act_region", "act_type", "region", acts, regions, by_region, margin="act_type"),
        RawTable("act_quarter", "act_type", "period", acts, quarters, by_quarter,
                 margin="act_type"),
    ]


def one_way(table_id: str, vocabulary: str, counts: dict[str, int]) -> RawTable:
    """A one-dimensional table (perpetrator type, target profile)."""
    known = {"perpetrator": list(PERPETRATORS), "target": list(TARGETS)}.get(vocabulary, [])
    rows = _ordered(known, set(counts))
    return RawTable(table_id, vocabulary, None, rows, ["count"],
                    [[counts.get(code, 0)] for code in rows])
