"""Releases: frozen, already-protected tables; only an approved one may be shown publicly."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Staff, StatsRelease, utcnow
from intake.services import audit
from intake.services.statistics import protected
from intake.settings import Settings
from intake.stats.filters import Filters


class ReleaseError(ValueError):
    """The release does not exist or cannot be approved."""


def create_release(session: Session, settings: Settings, staff: Staff,
                   filters: Filters) -> StatsRelease:
    """Freeze a protected payload; its noise (if any) is spent once, in the ledger."""
    release = StatsRelease(created_by=staff.id, payload="{}", threshold=0,
                           filters=json.dumps(filters.as_dict()))
    session.add(release)
    session.flush()
    payload = protected(session, settings, staff, filters, "release", release_id=release.id)
    release.payload = json.dumps(payload, ensure_ascii=False)
    release.threshold = payload["threshold"]
    release.epsilon = payload["epsilon"] or None
    audit.record(session, staff, "stats.release.create", target=release.id,
                 detail={"filters": filters.as_dict()})
    session.commit()
    return release


def approve_release(session: Session, staff: Staff, release_id: str) -> StatsRelease:
    """An administrator's approval makes a release eligible for the transparency page."""
    release = session.get(StatsRelease, release_id)
    if release is None:
        raise ReleaseError("no such release")
    if release.approved_at is None:
        release.approved_at, release.approved_by = utcnow(), staff.id
        audit.record(session, staff, "stats.release.approve", target=release.id)
        session.commit()
    return release


def list_releases(session: Session, limit: int = 20) -> list[StatsRelease]:
    """Newest first, for the analyst page."""
    return list(session.scalars(
        select(StatsRelease).order_by(StatsRelease.created_at.desc()).limit(limit)))


def latest_approved(session: Session) -> dict[str, Any] | None:
    """The payload of the most recently approved release, or None."""
    release = session.scalars(
        select(StatsRelease).where(StatsRelease.approved_at.is_not(None))
        .order_by(StatsRelease.approved_at.desc()).limit(1)).first()
    return json.loads(release.payload) if release else None
