"""Aggregation in the database: GROUP BY over the maintained counts, never content.

stats_counts holds one row per (act, region, quarter) and per (code, quarter), kept in step
with every triage change (intake.stats.counts), so an export reads a few thousand rows
whatever the number of cases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import StatsCount
from intake.stats.counts import CUBE
from intake.stats.filters import Filters


def _in_quarters(filters: Filters) -> list[Any]:
    """The quarter range as conditions on the count rows."""
    conditions = []
    if filters.quarter_from:
        conditions.append(StatsCount.period >= filters.quarter_from)
    if filters.quarter_to:
        conditions.append(StatsCount.period <= filters.quarter_to)
    return conditions


def act_region_quarter(session: Session, filters: Filters) -> dict[tuple[str, str, str], int]:
    """The cube act type × region × quarter; the published two-way tables are its margins."""
    total = func.sum(StatsCount.n)
    stmt = (select(StatsCount.code, StatsCount.region, StatsCount.period, total)
            .where(StatsCount.kind == CUBE, *_in_quarters(filters))
            .group_by(StatsCount.code, StatsCount.region, StatsCount.period)
            .having(total > 0))
    return {(a, r, q): int(n) for a, r, q, n in session.execute(stmt)}


def by_vocabulary(session: Session, vocabulary: str, filters: Filters) -> dict[str, int]:
    """Counted cases per code of one vocabulary (perpetrator, target) over the quarters.

    A case has at most one quarter (the triage service enforces it), so summing the
    per-quarter counts equals COUNT(DISTINCT case).
    """
    total = func.sum(StatsCount.n)
    stmt = (select(StatsCount.code, total)
            .where(StatsCount.kind == vocabulary, *_in_quarters(filters))
            .group_by(StatsCount.code).having(total > 0))
    return {code: int(n) for code, n in session.execute(stmt)}
