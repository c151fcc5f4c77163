"""Aggregation in the database: GROUP BY over coded labels of counted cases, never content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from intake.models import COUNTED_STATUSES, Case, CaseLabel
from intake.stats.filters import Filters


def _counted(stmt: Select[Any], filters: Filters) -> tuple[Select[Any], Any]:
    """Restrict to verified/escalated/closed cases whose reporter consented, in the quarters."""
    period = aliased(CaseLabel, name="period")
    stmt = stmt.join(period, and_(period.case_id == Case.id, period.vocabulary == "period"))
    stmt = stmt.where(Case.status.in_(COUNTED_STATUSES), Case.consent_stats.is_(True))
    if filters.quarter_from:
        stmt = stmt.where(period.code >= filters.quarter_from)
    if filters.quarter_to:
        stmt = stmt.where(period.code <= filters.quarter_to)
    return stmt, period


def act_region_quarter(session: Session, filters: Filters) -> dict[tuple[str, str, str], int]:
    """The cube act type × region × quarter; the published two-way tables are its margins."""
    act = aliased(CaseLabel, name="act")
    region = aliased(CaseLabel, name="region")
    stmt = (
        select(Case.id)
        .join(act, and_(act.case_id == Case.id, act.vocabulary == "act_type"))
        .join(region, and_(region.case_id == Case.id, region.vocabulary == "region"))
    )
    stmt, period = _counted(stmt, filters)
    # One row per (case, act, region, period): the unique (case_id, vocabulary, code)
    # constraint makes COUNT(*) equal to COUNT(DISTINCT case) here, without its sort.
    grouped: Any = stmt.with_only_columns(
        act.code, region.code, period.code, func.count()
    ).group_by(act.code, region.code, period.code)
    return {(a, r, q): int(n) for a, r, q, n in session.execute(grouped)}


def by_vocabulary(session: Session, vocabulary: str, filters: Filters) -> dict[str, int]:
    """Counted cases per code of one vocabulary (perpetrator, target)."""
    label = aliased(CaseLabel, name="label")
    stmt = select(Case.id).join(
        label, and_(label.case_id == Case.id, label.vocabulary == vocabulary)
    )
    stmt, _period = _counted(stmt, filters)
    grouped: Any = stmt.with_only_columns(
        label.code, func.count(func.distinct(Case.id))
    ).group_by(label.code)
    return {code: int(n) for code, n in session.execute(grouped)}
