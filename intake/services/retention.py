"""Retention: closed cases past the retention period are crypto-shredded, wraps first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from intake.models import Case, CaseLabel, Item, KeyWrap, utcnow
from intake.services import audit, site
from intake.settings import Settings
from intake.stats.recount import forget_cases

BATCH = 200


@dataclass
class PurgeCounts:
    """What a purge removed (or would remove): counts only, never ids or content."""

    cases: int = 0
    items: int = 0
    wraps: int = 0
    labels: int = 0
    blobs: int = 0
    retention_days: int = 0

    def as_detail(self) -> dict[str, int]:
        """The audit detail: numbers only."""
        return {"cases": self.cases, "items": self.items, "wraps": self.wraps,
                "labels": self.labels, "blobs": self.blobs,
                "retention_days": self.retention_days}


def cutoff(session: Session, settings: Settings, now: datetime | None = None) -> datetime | None:
    """Cases closed before this moment are due; None when retention is off (0 days)."""
    days = site.effective(session, settings).retention_days
    if days <= 0:
        return None
    return (now or utcnow()) - timedelta(days=days)


def due_case_ids(session: Session, before: datetime, limit: int | None = None) -> list[str]:
    """Closed cases whose closing is older than the cutoff."""
    query = select(Case.id).where(
        Case.status == "closed", Case.closed_at.is_not(None), Case.closed_at < before
    ).order_by(Case.closed_at)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def _count(session: Session, model: type, column: Any, ids: list[str]) -> int:
    """Rows of one table that belong to the given cases or items."""
    query: Any = select(func.count()).select_from(model).where(column.in_(ids))
    return int(session.scalar(query) or 0)


def _deleted(session: Session, statement: Any) -> int:
    """Run a bulk DELETE and say how many rows went."""
    result: Any = session.execute(statement)
    return int(result.rowcount or 0)


def _blob_path(settings: Settings, name: str) -> Path | None:
    """A stored blob's file; a name that is not a bare file name is ignored, never followed."""
    if not name or Path(name).name != name or name in (".", ".."):
        return None
    return settings.blob_dir / name


def _shred_batch(session: Session, settings: Settings, case_ids: list[str],
                 counts: PurgeCounts) -> None:
    """Wraps first and committed on their own: after that commit the content is gone."""
    item_ids = list(session.scalars(select(Item.id).where(Item.case_id.in_(case_ids))))
    blob_names = [n for n in session.scalars(select(Item.blob_name).where(
        Item.case_id.in_(case_ids), Item.blob_name.is_not(None))) if n]
    if item_ids:
        counts.wraps += _deleted(session, delete(KeyWrap).where(KeyWrap.item_id.in_(item_ids)))
    session.commit()
    _remove_rows(session, case_ids, counts)
    for name in blob_names:
        path = _blob_path(settings, name)
        if path is not None and path.exists():
            path.unlink()
            counts.blobs += 1


def _remove_rows(session: Session, case_ids: list[str], counts: PurgeCounts) -> None:
    """Once the wraps are gone the rest is housekeeping: counts, labels, items, then cases."""
    forget_cases(session, case_ids)
    counts.labels += _deleted(session, delete(CaseLabel).where(CaseLabel.case_id.in_(case_ids)))
    counts.items += _deleted(session, delete(Item).where(Item.case_id.in_(case_ids)))
    counts.cases += _deleted(session, delete(Case).where(Case.id.in_(case_ids)))
    session.commit()


def _checkpoint(session: Session) -> None:
    """SQLite keeps old pages in the WAL until a checkpoint; fold and truncate it now."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        session.commit()


def purge(session: Session, settings: Settings, *, dry_run: bool = False,
          now: datetime | None = None) -> PurgeCounts:
    """Crypto-shred every due case (or only count them with dry_run); audited with counts."""
    before = cutoff(session, settings, now)
    counts = PurgeCounts(retention_days=site.effective(session, settings).retention_days)
    if before is None:
        return counts
    if dry_run:
        ids = due_case_ids(session, before)
        if ids:
            item_ids = list(session.scalars(select(Item.id).where(Item.case_id.in_(ids))))
            counts.cases = len(ids)
            counts.items = len(item_ids)
            counts.wraps = _count(session, KeyWrap, KeyWrap.item_id, item_ids)
            counts.labels = _count(session, CaseLabel, CaseLabel.case_id, ids)
            counts.blobs = int(session.scalar(select(func.count()).select_from(Item).where(
                Item.case_id.in_(ids), Item.blob_name.is_not(None))) or 0)
        audit.record(session, None, "retention.dry_run", detail=counts.as_detail())
        session.commit()
        return counts
    while ids := due_case_ids(session, before, BATCH):
        _shred_batch(session, settings, ids, counts)
    audit.record(session, None, "retention.purge", detail=counts.as_detail())
    session.commit()
    _checkpoint(session)
    return counts
