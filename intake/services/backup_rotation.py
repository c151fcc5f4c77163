"""Backup rotation: at most N archives, none older than the retention period.

A case purged today still sits in yesterday's backups; deleting every archive older than
the retention period bounds how long it survives there (docs/operations.md gives the
window). Only files this code named are considered; their age comes from the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

NAME = re.compile(r"intake-backup-(\d{8}T\d{6}Z)\.(intake-backup|tar)")
STAMP = "%Y%m%dT%H%M%SZ"


def archive_name(now: datetime, encrypted: bool = True) -> str:
    """The file name of a backup taken at `now` (UTC, to the second)."""
    suffix = "intake-backup" if encrypted else "tar"
    return f"intake-backup-{now.astimezone(UTC).strftime(STAMP)}.{suffix}"


@dataclass
class Pruned:
    """What rotation kept and removed (paths, newest first)."""

    kept: list[Path]
    removed: list[Path]


def _taken_at(path: Path) -> datetime | None:
    match = NAME.fullmatch(path.name)
    if not match:
        return None
    return datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)


def prune(directory: Path, keep: int, max_age_days: int | None,
          now: datetime | None = None) -> Pruned:
    """Remove all but the newest `keep` archives, and every one older than max_age_days."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    now = now or datetime.now(UTC)
    dated = [(t, p) for p in directory.iterdir() if p.is_file() and (t := _taken_at(p))]
    dated.sort(reverse=True)
    limit = now - timedelta(days=max_age_days) if max_age_days else None
    kept: list[Path] = []
    removed: list[Path] = []
    for taken, path in dated:
        if len(kept) < keep and (limit is None or taken >= limit):
            kept.append(path)
        else:
            path.unlink()
            removed.append(path)
    return Pruned(kept, removed)
