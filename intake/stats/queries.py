"""Aggregation in the database: GROUP BY over the maintained counts, never content.

stats_counts holds one row per (act, region, quarter) and per (code, quarter), kept in step
with every triage change (intake.stats.counts), so an export reads a few thousand rows
whatever the number of cases. Everything is read per quarter: the protected master tables
are built from these base counts and never from a range chosen by someone.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import StatsCount
from intake.stats.counts import CUBE


def act_region_quarter(session: Session) -> dict[tuple[str, str, str], int]:
    """The cube act type × region × quarter; the published two-way tables are its margins."""
    total = func.sum(StatsCount.n)
    stmt = (select(StatsCount.code, StatsCount.region, StatsCount.period, total)
            .where(StatsCount.kind == CUBE)
            .group_by(StatsCount.code, StatsCount.region, StatsCount.period)
            .having(total > 0))
    return {(a, r, q): int(n) for a, r, q, n in session.execute(stmt)}


def by_vocabulary(session: Session, vocabulary: str) -> dict[tuple[str, str], int]:
    """Counted cases per (code, quarter) of one vocabulary (perpetrator, target).

    A case has at most one quarter (the triage service enforces it), so summing the
    per-quarter counts over quarters equals COUNT(DISTINCT case).
    """
    total = func.sum(StatsCount.n)
    stmt = (select(StatsCount.code, StatsCount.period, total)
            .where(StatsCount.kind == vocabulary)
            .group_by(StatsCount.code, StatsCount.period).having(total > 0))
    return {(code, q): int(n) for code, q, n in session.execute(stmt)}
