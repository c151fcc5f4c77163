"""Counts from scratch by GROUP BY over case_labels: rebuilds, retention, and the check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, literal, select, text
from sqlalchemy.orm import Session, aliased

from intake.models import COUNTED_STATUSES, Case, CaseLabel, StatsCount
from intake.stats.counts import CUBE, ONE_WAY, Key, apply, lock_cases


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild wrote and how many counts had drifted from the recount."""

    rows: int
    differing: int


def _grouped(case_ids: Sequence[str] | None) -> list[Any]:
    """The cube and one-way GROUP BYs over counted cases (optionally only the given cases).

    The unique (case_id, vocabulary, code) constraint makes each joined row one distinct
    case, so COUNT(*) equals COUNT(DISTINCT case) per group without its sort.
    """
    period = aliased(CaseLabel, name="period")
    counted = [Case.status.in_(COUNTED_STATUSES), Case.consent_stats.is_(True)]
    if case_ids is not None:
        counted.append(Case.id.in_(case_ids))
    on_period = and_(period.case_id == Case.id, period.vocabulary == "period")
    act = aliased(CaseLabel, name="act")
    region = aliased(CaseLabel, name="region")
    statements = [
        select(literal(CUBE), act.code, region.code, period.code, func.count())
        .select_from(Case)
        .join(act, and_(act.case_id == Case.id, act.vocabulary == "act_type"))
        .join(region, and_(region.case_id == Case.id, region.vocabulary == "region"))
        .join(period, on_period).where(*counted)
        .group_by(act.code, region.code, period.code)
    ]
    for vocabulary in ONE_WAY:
        label = aliased(CaseLabel, name="label")
        statements.append(
            select(literal(vocabulary), label.code, literal(""), period.code, func.count())
            .select_from(Case)
            .join(label, and_(label.case_id == Case.id, label.vocabulary == vocabulary))
            .join(period, on_period).where(*counted)
            .group_by(label.code, period.code))
    return statements


def from_scratch(session: Session, case_ids: Sequence[str] | None = None) -> dict[Key, int]:
    """Every count recomputed from the labels (of all counted cases, or of `case_ids`)."""
    out: dict[Key, int] = {}
    for statement in _grouped(case_ids):
        for kind, code, region, period, n in session.execute(statement):
            out[(str(kind), str(code), str(region), str(period))] = int(n)
    return out


def maintained(session: Session) -> dict[Key, int]:
    """The stored counts, without zero rows."""
    rows = session.execute(select(StatsCount.kind, StatsCount.code, StatsCount.region,
                                  StatsCount.period, StatsCount.n).where(StatsCount.n != 0))
    return {(kind, code, region, period): n for kind, code, region, period, n in rows}


def rebuild(session: Session) -> Rebuilt:
    """Replace stats_counts with the recount; writers wait meanwhile (caller commits)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE stats_counts IN EXCLUSIVE MODE"))
    else:
        session.execute(delete(StatsCount).where(StatsCount.n == 0))  # takes the write lock
    old = maintained(session)
    fresh = from_scratch(session)
    differing = sum(1 for key in old.keys() | fresh.keys() if old.get(key) != fresh.get(key))
    session.execute(delete(StatsCount))
    rows = [{"kind": k[0], "code": k[1], "region": k[2], "period": k[3], "n": n}
            for k, n in sorted(fresh.items())]
    if rows:
        session.execute(insert(StatsCount), rows)
    return Rebuilt(rows=len(rows), differing=differing)


def forget_cases(session: Session, case_ids: Sequence[str]) -> None:
    """Before cases are deleted: lock them and subtract what they count for."""
    if not case_ids:
        return
    lock_cases(session, case_ids)
    apply(session, {key: -n for key, n in from_scratch(session, case_ids).items()})
