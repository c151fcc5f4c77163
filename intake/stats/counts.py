"""Keeping stats_counts in step: each change adds what it changed, in the caller's transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.models import COUNTED_STATUSES, Case, CaseLabel, StatsCount

Key = tuple[str, str, str, str]  # (kind, code, region, period), the stats_counts primary key
ONE_WAY = ("perpetrator", "target")
CUBE = "cube"


def counted(status: str, consent: bool) -> bool:
    """Only verified, escalated or closed cases whose reporter consented are counted."""
    return consent and status in COUNTED_STATUSES


def contribution(status: str, consent: bool, labels: Iterable[tuple[str, str]]) -> Counter[Key]:
    """What one case adds: nothing unless counted; one per (act, region, quarter) and per code.

    Mirrors the GROUP BY of `recount.from_scratch` (inner joins: no quarter, no count).
    """
    out: Counter[Key] = Counter()
    if not counted(status, consent):
        return out
    codes: dict[str, set[str]] = {}
    for vocabulary, code in labels:
        codes.setdefault(vocabulary, set()).add(code)
    for period in codes.get("period", ()):
        for region in codes.get("region", ()):
            for act in codes.get("act_type", ()):
                out[(CUBE, act, region, period)] += 1
        for vocabulary in ONE_WAY:
            for code in codes.get(vocabulary, ()):
                out[(vocabulary, code, "", period)] += 1
    return out


def labels_of(session: Session, case_id: str) -> list[tuple[str, str]]:
    """The case's (vocabulary, code) pairs as stored now."""
    rows = session.execute(select(CaseLabel.vocabulary, CaseLabel.code)
                           .where(CaseLabel.case_id == case_id))
    return [(v, c) for v, c in rows]


def lock_cases(session: Session, case_ids: Sequence[str]) -> None:
    """Take the write locks before reading what a change will replace, so changes serialise.

    PostgreSQL: SELECT … FOR UPDATE on the case rows. SQLite (pysqlite begins a transaction
    only at the first write, and has one writer): a no-op UPDATE of the same rows, so the
    reads that follow see the latest commit and no other writer can slip in before ours.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Case.id).where(Case.id.in_(case_ids)).with_for_update())
    else:
        session.execute(update(Case).where(Case.id.in_(case_ids)).values(status=Case.status)
                        .execution_options(synchronize_session=False))


def lock(session: Session, case: Case) -> None:
    """Lock one case and reload it, so validation and counts start from its current state."""
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(case, with_for_update=True)  # one round trip: lock and reload
        return
    lock_cases(session, [case.id])
    session.refresh(case)


def _upsert(session: Session) -> Any:
    """INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n: atomic on both databases."""
    table: Any = StatsCount.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    return stmt.on_conflict_do_update(index_elements=[table.c.kind, table.c.code,
                                                      table.c.region, table.c.period],
                                      set_={"n": table.c.n + stmt.excluded.n})


def apply(session: Session, delta: Mapping[Key, int]) -> None:
    """Add each non-zero delta; keys in sorted order so concurrent writers never deadlock."""
    rows = [{"kind": k[0], "code": k[1], "region": k[2], "period": k[3], "n": d}
            for k, d in sorted(delta.items()) if d]
    if rows:
        session.execute(_upsert(session), rows)


def change(session: Session, before: Counter[Key], after: Counter[Key]) -> None:
    """Apply the difference between a case's old and new contribution."""
    apply(session, {key: after[key] - before[key] for key in before.keys() | after.keys()})
