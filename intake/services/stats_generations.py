"""The stored protected result of the current data state: made once, then only read.

Every view, filter, format, release and the command line call `current`: it names today's
state (counts, settings, approved releases) and returns the generation stored for it, or
makes it — protected with the previous generation and the releases, noise drawn once — and
stores it. A repeated request therefore sees the very same numbers: no fresh protection to
difference, no fresh noise to average away.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.models import PrivacyLedgerEntry, Staff, StatsGeneration, StatsRelease, utcnow
from intake.payloads import decode_generation, decode_payload, encode_generation
from intake.services.site import effective
from intake.settings import Settings
from intake.stats import queries
from intake.stats.generation import fingerprint, make
from intake.stats.master import ONE_WAY
from intake.stats.payload import NumberRow, ProtectedResult

KEEP = 2  # the current generation and the one before it (the next joint audit needs it)


@dataclass(frozen=True)
class Current:
    """The protected result every output slices, and what it was audited together with."""

    result: ProtectedResult
    audited_with: str
    generation_id: int


def _approved(session: Session) -> list[StatsRelease]:
    return list(session.scalars(select(StatsRelease).where(StatsRelease.approved_at.is_not(None))
                                .order_by(StatsRelease.approved_at)))


def _stored(session: Session, print_: str) -> StatsGeneration | None:
    return session.scalar(select(StatsGeneration).where(StatsGeneration.fingerprint == print_))


def _as_current(row: StatsGeneration) -> Current:
    return Current(decode_generation(row.result), row.audited_with, row.id)


def _rows(result: ProtectedResult) -> list[NumberRow]:
    return [(*key, value) for key, value in result.numbers.items()]


def current(session: Session, settings: Settings, staff: Staff | None, purpose: str,
            epsilon: float | None = None) -> Current:
    """The generation of today's state; made (and its epsilon ledgered) only if new."""
    cfg = effective(session, settings)
    eps = cfg.stats_epsilon if epsilon is None else epsilon
    if eps < 0:
        raise ValueError("epsilon must not be negative")
    cube = queries.act_region_quarter(session)
    one_way = {v: queries.by_vocabulary(session, v) for v in ONE_WAY}
    releases = _approved(session)
    print_ = fingerprint(cube, one_way, cfg.regions, cfg.stats_threshold, eps,
                         [r.id for r in releases])
    found = _stored(session, print_)
    if found is not None:
        return _as_current(found)
    previous = session.scalar(select(StatsGeneration).order_by(StatsGeneration.id.desc())
                              .limit(1))
    made = make(cube, one_way, cfg.regions, cfg.stats_threshold, eps, utcnow(),
                _rows(decode_generation(previous.result)) if previous else None,
                [decode_payload(r.payload)["numbers"] for r in releases])
    row = StatsGeneration(fingerprint=print_, threshold=cfg.stats_threshold, epsilon=eps,
                          audited_with=made.audited_with, result=encode_generation(made.result))
    try:
        with session.begin_nested():
            session.add(row)
            if eps > 0:
                session.add(PrivacyLedgerEntry(staff_id=staff.id if staff else None,
                                               purpose=purpose, epsilon=eps))
    except IntegrityError:  # made at the same moment elsewhere: that one is the generation
        winner = _stored(session, print_)
        if winner is None:
            raise
        return _as_current(winner)
    keep = select(StatsGeneration.id).order_by(StatsGeneration.id.desc()).limit(KEEP)
    session.execute(delete(StatsGeneration).where(
        StatsGeneration.id.not_in(list(session.scalars(keep)))))
    return Current(made.result, made.audited_with, row.id)
