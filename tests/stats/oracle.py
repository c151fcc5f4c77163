"""The export's counts straight from case_labels (COUNT DISTINCT): the pre-0007 queries, kept
as the independent answer the maintained counts must reproduce."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from intake.models import COUNTED_STATUSES, Case, CaseLabel


@dataclass(frozen=True)
class Range:
    """Quarters from–to (None: open); the oracle counts only those, the queries all."""

    quarter_from: str | None = None
    quarter_to: str | None = None


def _counted(stmt: Select[Any], filters: Range) -> Select[Any]:
    period = aliased(CaseLabel, name="period")
    stmt = stmt.join(period, and_(period.case_id == Case.id, period.vocabulary == "period"))
    stmt = stmt.where(Case.status.in_(COUNTED_STATUSES), Case.consent_stats.is_(True))
    if filters.quarter_from:
        stmt = stmt.where(period.code >= filters.quarter_from)
    if filters.quarter_to:
        stmt = stmt.where(period.code <= filters.quarter_to)
    return stmt.add_columns(period.code.label("quarter"))


def cube(session: Session, filters: Range) -> dict[tuple[str, str, str], int]:
    """Distinct counted cases per (act type, region, quarter)."""
    act = aliased(CaseLabel, name="act")
    region = aliased(CaseLabel, name="region")
    stmt = _counted(select(Case.id, act.code.label("act"), region.code.label("region"))
                    .join(act, and_(act.case_id == Case.id, act.vocabulary == "act_type"))
                    .join(region, and_(region.case_id == Case.id,
                                       region.vocabulary == "region")), filters).subquery()
    grouped = select(stmt.c.act, stmt.c.region, stmt.c.quarter,
                     func.count(func.distinct(stmt.c.id))).group_by(
        stmt.c.act, stmt.c.region, stmt.c.quarter)
    return {(a, r, q): int(n) for a, r, q, n in session.execute(grouped)}


def one_way(session: Session, vocabulary: str, filters: Range) -> dict[tuple[str, str], int]:
    """Distinct counted cases per (code, quarter) of one vocabulary."""
    label = aliased(CaseLabel, name="label")
    stmt = _counted(select(Case.id, label.code.label("code")).join(
        label, and_(label.case_id == Case.id, label.vocabulary == vocabulary)), filters
    ).subquery()
    grouped = select(stmt.c.code, stmt.c.quarter, func.count(func.distinct(stmt.c.id))
                     ).group_by(stmt.c.code, stmt.c.quarter)
    return {(code, q): int(n) for code, q, n in session.execute(grouped)}
