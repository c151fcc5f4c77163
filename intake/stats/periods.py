"""The fixed, non-overlapping periods every output is sliced by: quarters, whole years, all.

Outputs never cover an arbitrary range: a range would be a new sum the protection never saw,
and two ranges differenced reveal the quarters between them (docs/decisions.md).
"""

from __future__ import annotations

ALL = "all"


def quarters_between(first: str, last: str) -> list[str]:
    """Every quarter from `first` to `last`, so a trend has no silent gaps."""
    year, quarter = int(first[:4]), int(first[-1])
    out = []
    while f"{year}-Q{quarter}" <= last:
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return out


def quarter_axis(present: set[str]) -> list[str]:
    """The quarters of the master tables: from the first to the last one with data."""
    if not present:
        return []
    ordered = sorted(present)
    quarters = quarters_between(ordered[0], ordered[-1])
    return quarters if len(quarters) <= 200 else ordered  # an absurd label: no 10,000 gaps


def years_of(quarters: list[str]) -> list[str]:
    """The whole years the quarters fall in, in order."""
    return sorted({q[:4] for q in quarters})


def periods_of(quarters: list[str]) -> list[str]:
    """Every period an output may show: all time, then each year, then each quarter."""
    if not quarters:
        return [ALL]
    return [ALL, *years_of(quarters), *quarters]


def quarters_in(period: str, quarters: list[str]) -> list[str]:
    """The quarters a period covers (of those on the axis)."""
    if period == ALL:
        return list(quarters)
    if len(period) == 4:
        return [q for q in quarters if q.startswith(period)]
    return [q for q in quarters if q == period]


def parts_of(period: str, quarters: list[str]) -> list[str]:
    """The periods one level down whose sum a period is: all = years, year = quarters."""
    if period == ALL:
        return years_of(quarters)
    if len(period) == 4:
        return quarters_in(period, quarters)
    return []
