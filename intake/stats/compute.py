"""One protected statistics output: query, optional noise, margins, suppression, metadata."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from intake.models import utcnow
from intake.settings import Settings
from intake.stats import queries
from intake.stats.filters import Filters
from intake.stats.noise import CONTRIBUTION_BOUND, noisy_counts
from intake.stats.publish import protect_tables
from intake.stats.tables import RawTable, cube_axes, margins_of_cube, one_way

NOTE = "reported cases, not prevalence"
FORMAT_VERSION = 1


def _noisy_cube(cube: dict[tuple[str, str, str], int], acts: list[str], regions: list[str],
                quarters: list[str], epsilon: float) -> dict[tuple[str, str, str], int]:
    """Noise on every cell of the full cube (zeros too), so absences are protected as well."""
    keys = [(a, r, q) for a in acts for r in regions for q in quarters]
    sensitivity = (CONTRIBUTION_BOUND["act_type"] * CONTRIBUTION_BOUND["region"]
                   * CONTRIBUTION_BOUND["period"])
    noisy = noisy_counts([cube.get(key, 0) for key in keys], epsilon, sensitivity)
    return dict(zip(keys, noisy, strict=True))


def _noisy_one_way(table: RawTable, epsilon: float) -> RawTable:
    values = noisy_counts([row[0] for row in table.cells], epsilon,
                          CONTRIBUTION_BOUND[table.row_vocabulary])
    table.cells = [[v] for v in values]
    return table


def raw_tables(session: Session, settings: Settings, filters: Filters,
               epsilon: float) -> list[RawTable]:
    """The four tables; with epsilon > 0 it is split evenly over three noisy measurements."""
    cube = queries.act_region_quarter(session, filters)
    acts, regions, quarters = cube_axes(cube, settings.regions, filters.quarter_from,
                                        filters.quarter_to)
    perpetrator = one_way("perpetrator", "perpetrator",
                          queries.by_vocabulary(session, "perpetrator", filters))
    target = one_way("target", "target", queries.by_vocabulary(session, "target", filters))
    if epsilon > 0:
        share = epsilon / 3
        cube = _noisy_cube(cube, acts, regions, quarters, share)
        perpetrator = _noisy_one_way(perpetrator, share)
        target = _noisy_one_way(target, share)
    return [*margins_of_cube(cube, acts, regions, quarters), perpetrator, target]


def compute(session: Session, settings: Settings, filters: Filters, threshold: int,
            epsilon: float) -> dict[str, Any]:
    """The protected payload every format is rendered from (and releases freeze)."""
    tables = raw_tables(session, settings, filters, epsilon)
    return {
        "version": FORMAT_VERSION,
        "note": NOTE,
        "generated_at": utcnow().replace(microsecond=0).isoformat(),
        "filters": filters.as_dict(),
        "threshold": threshold,
        "epsilon": epsilon,
        "tables": protect_tables(tables, threshold),
    }
