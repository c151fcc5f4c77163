"""The stored protected result of the current data state: made once, then only read.

Every view, filter, format, release and the command line ask for the generation of
today's state (counts, settings, approved releases): the one stored for it, or one made —
protected with the previous generation and the releases, noise drawn once — and stored.
A repeated request therefore sees the very same numbers: no fresh protection to
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
from intake.stats.compute import Cube, OneWay
from intake.stats.generation import fingerprint, make
from intake.stats.master import ONE_WAY
from intake.stats.payload import NumberRow, ProtectedResult

KEEP = 2  # the current generation and the one before it (the next joint audit needs it)


@dataclass(frozen=True)
class Current:
    """The protected result every output slices, and what it was audited together with.
    `newer_pending`: the data changed and their protection is still being made, so this is
    the newest stored result, not today's (the views say so)."""

    result: ProtectedResult
    audited_with: str
    generation_id: int
    newer_pending: bool = False


@dataclass(frozen=True)
class State:
    """Today's data state and the name it is stored under: three GROUP BYs, no protection."""

    cfg: Settings
    epsilon: float
    cube: Cube
    one_way: OneWay
    releases: list[StatsRelease]
    fingerprint: str


def _approved(session: Session) -> list[StatsRelease]:
    return list(session.scalars(select(StatsRelease).where(StatsRelease.approved_at.is_not(None))
                                .order_by(StatsRelease.approved_at)))


def _stored(session: Session, print_: str) -> StatsGeneration | None:
    return session.scalar(select(StatsGeneration).where(StatsGeneration.fingerprint == print_))


def _as_current(row: StatsGeneration) -> Current:
    return Current(decode_generation(row.result), row.audited_with, row.id)


def _rows(result: ProtectedResult) -> list[NumberRow]:
    return [(*key, value) for key, value in result.numbers.items()]


def state(session: Session, settings: Settings, epsilon: float | None = None) -> State:
    """Name today's state (counts, settings, approved releases) without protecting it."""
    cfg = effective(session, settings)
    eps = cfg.stats_epsilon if epsilon is None else epsilon
    if eps < 0:
        raise ValueError("epsilon must not be negative")
    cube = queries.act_region_quarter(session)
    one_way = {v: queries.by_vocabulary(session, v) for v in ONE_WAY}
    releases = _approved(session)
    print_ = fingerprint(cube, one_way, cfg.regions, cfg.stats_threshold, eps,
                         [r.id for r in releases])
    return State(cfg, eps, cube, one_way, releases, print_)


def stored(session: Session, today: State) -> Current | None:
    """The generation stored for this state, if it was made already."""
    found = _stored(session, today.fingerprint)
    return _as_current(found) if found is not None else None


def _newest(session: Session) -> StatsGeneration | None:
    return session.scalar(select(StatsGeneration).order_by(StatsGeneration.id.desc()).limit(1))


def latest(session: Session) -> Current | None:
    """The newest stored generation, whatever state it was made for."""
    row = _newest(session)
    return _as_current(row) if row is not None else None


def current(session: Session, settings: Settings, staff: Staff | None, purpose: str,
            epsilon: float | None = None) -> Current:
    """The generation of today's state; made (and its epsilon ledgered) only if new. This
    waits for the protection however long it takes: the command line and background work
    call it; staff requests go through `stats_background.served`."""
    today = state(session, settings, epsilon)
    return stored(session, today) or _make(session, today, staff, purpose)


def _make(session: Session, today: State, staff: Staff | None, purpose: str) -> Current:
    """Protect today's state with the previous generation and the releases, and store it."""
    previous = _newest(session)
    cfg, eps, print_ = today.cfg, today.epsilon, today.fingerprint
    made = make(today.cube, today.one_way, cfg.regions, cfg.stats_threshold, eps, utcnow(),
                _rows(decode_generation(previous.result)) if previous else None,
                [decode_payload(r.payload)["numbers"] for r in today.releases])
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
