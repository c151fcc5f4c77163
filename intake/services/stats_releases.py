"""Releases: frozen copies of one period of a protected result, audited with earlier ones."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import Staff, StatsRelease, utcnow
from intake.services import audit
from intake.services.statistics import generation
from intake.settings import Settings
from intake.stats.compute import payload
from intake.stats.filters import Filters, check_period
from intake.stats.joint import release_result
from intake.stats.protection import ProtectionError


class ReleaseError(ValueError):
    """The release does not exist or cannot be created or approved."""


def published_numbers(session: Session) -> list[list[list[Any]]]:
    """The numbers of every approved release (what an attacker holds)."""
    payloads = session.scalars(select(StatsRelease.payload)
                               .where(StatsRelease.approved_at.is_not(None)))
    return [json.loads(p).get("numbers", []) for p in payloads]


def create_release(session: Session, settings: Settings, staff: Staff,
                   filters: Filters) -> StatsRelease:
    """Freeze one period, protected together with every approved release."""
    release = StatsRelease(created_by=staff.id, payload="{}", threshold=0,
                           filters=json.dumps(filters.as_dict()))
    session.add(release)
    session.flush()
    current = generation(session, settings, staff, "release", release_id=release.id)
    check_period(filters, current.result.periods)
    try:
        result = release_result(current.master, current.result, current.audit.hidden,
                                filters.period, published_numbers(session))
    except ProtectionError as exc:
        session.rollback()
        raise ReleaseError(str(exc)) from exc
    data = payload(result, filters.period)
    release.payload = json.dumps(data, ensure_ascii=False)
    release.threshold = data["threshold"]
    release.epsilon = data["epsilon"] or None
    audit.record(session, staff, "stats.release.create", target=release.id,
                 detail={"filters": filters.as_dict()})
    session.commit()
    return release


def approve_release(session: Session, staff: Staff, release_id: str) -> StatsRelease:
    """An administrator's approval publishes it, if no release was published since it was made.

    A release is audited against the releases published when it is created; one published
    in between was not part of that audit, so the release must be made again.
    """
    release = session.get(StatsRelease, release_id)
    if release is None:
        raise ReleaseError("no such release")
    if release.approved_at is None:
        newer = session.scalar(select(func.count()).select_from(StatsRelease).where(
            StatsRelease.approved_at.is_not(None),
            StatsRelease.approved_at >= release.created_at))
        if newer:
            raise ReleaseError("published since")
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
