"""Releases: frozen copies of one period of a protected result, audited with earlier ones."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.models import Staff, StatsRelease, utcnow
from intake.payloads import StatsPayload, decode_payload, encode_payload
from intake.services import audit
from intake.services.statistics import generation
from intake.services.stats_background import Maker
from intake.settings import Settings
from intake.stats.compute import payload
from intake.stats.filters import Filters, check_period
from intake.stats.generation import ALONE


class ReleaseError(ValueError):
    """The release does not exist or cannot be created or approved."""


def create_release(session: Session, settings: Settings, staff: Staff,
                   filters: Filters, maker: Maker | None = None) -> StatsRelease:
    """Freeze one period of the current generation, which was protected together with
    every approved release (they are part of what names a generation). Never from an older
    stored result while today's is still being protected: ReleaseError("pending")."""
    made = generation(session, settings, staff, "release", maker=maker)
    if made.newer_pending:
        raise ReleaseError("pending")
    check_period(filters, made.result.periods)
    if made.audited_with == ALONE:
        session.rollback()
        raise ReleaseError("not auditable with the published releases")
    data = payload(made.result, filters.period)
    release = StatsRelease(created_by=staff.id, payload=encode_payload(data),
                           threshold=data["threshold"], epsilon=data["epsilon"] or None,
                           filters=json.dumps(filters.as_dict()))
    session.add(release)
    session.flush()
    audit.record(session, staff, "stats.release.create", target=release.id,
                 detail={"filters": filters.as_dict(), "generation": made.generation_id})
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


def latest_approved(session: Session) -> StatsPayload | None:
    """The payload of the most recently approved release, or None."""
    release = session.scalars(
        select(StatsRelease).where(StatsRelease.approved_at.is_not(None))
        .order_by(StatsRelease.approved_at.desc()).limit(1)).first()
    return decode_payload(release.payload) if release else None
