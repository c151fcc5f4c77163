"""Split-key staff sessions: the server keeps the private key wrapped under a key only the
browser holds; deleting the row (logout, expiry) makes the cookie's half useless."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from intake.crypto import DecryptionError, new_session_key, unwrap_for_session, wrap_for_session
from intake.models import Staff, StaffSession, utcnow
from intake.settings import Settings

TOUCH_EVERY = timedelta(seconds=30)
SWEEP_EVERY = 60.0  # seconds between request-time sweeps in one process
_last_sweep: dict[str, float] = {}


@dataclass(frozen=True)
class CookieHalf:
    """What goes into the signed session cookie: the id and the session key."""

    session_id: str
    session_key: bytes


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(session: Session, staff: Staff, private_raw: bytes | None) -> CookieHalf:
    """Re-wrap the unlocked private key under a fresh session key; store only the wrap."""
    return _new_row(session, staff.id, private_raw)


def _new_row(session: Session, staff_id: str, private_raw: bytes | None,
             **fields: object) -> CookieHalf:
    session_id = secrets.token_urlsafe(32)
    key = new_session_key()
    id_hash = _id_hash(session_id)
    wrapped = wrap_for_session(private_raw, key, id_hash) if private_raw is not None else None
    session.add(StaffSession(id_hash=id_hash, staff_id=staff_id, wrapped_private_key=wrapped,
                             **fields))
    return CookieHalf(session_id, key)


def reissue(session: Session, row: StaffSession, half: CookieHalf) -> CookieHalf:
    """A new id and key for a session whose privileges grew (second factor): an id someone
    planted or saw before sign-in is worthless afterwards. Raises DecryptionError if `half`
    does not open `row`.

    The absolute timeout still counts from the passphrase step.
    """
    private = private_key(row, half) if row.wrapped_private_key is not None else None
    fresh = _new_row(session, row.staff_id, private, totp_verified=row.totp_verified,
                     created_at=row.created_at, last_seen_at=utcnow())
    session.delete(row)
    return fresh


def load_session(session: Session, settings: Settings, session_id: str) -> StaffSession | None:
    """The live server half, or None; expired halves (idle or absolute) are deleted here."""
    row = session.get(StaffSession, _id_hash(session_id))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    absolute = timedelta(hours=settings.session_absolute_hours)
    staff = session.get(Staff, row.staff_id)
    if (now - row.last_seen_at > idle or now - row.created_at > absolute
            or staff is None or not staff.active):
        session.delete(row)
        session.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return row


def sweep_expired(session: Session, settings: Settings) -> int:
    """Delete every expired server half (idle, absolute, or of an inactive account), so a
    copy of the database taken later holds no key an old cookie could still open.
    The caller commits; returns how many rows went."""
    now = utcnow()
    idle_before = now - timedelta(minutes=settings.session_idle_minutes)
    absolute_before = now - timedelta(hours=settings.session_absolute_hours)
    inactive = select(Staff.id).where(Staff.active.is_(False))
    result = session.execute(delete(StaffSession).where(or_(
        StaffSession.last_seen_at < idle_before, StaffSession.created_at < absolute_before,
        StaffSession.staff_id.in_(inactive))))
    return int(getattr(result, "rowcount", 0) or 0)


def sweep_if_due(session: Session, settings: Settings, clock: float) -> int:
    """The request-time sweep: at most once per SWEEP_EVERY seconds per process and
    database: one DELETE a minute over a table of a few rows, not one per request."""
    key = settings.database_url
    if clock - _last_sweep.get(key, float("-inf")) < SWEEP_EVERY:
        return 0
    _last_sweep[key] = clock
    swept = sweep_expired(session, settings)
    session.commit()
    return swept


def mark_second_factor(session: Session, row: StaffSession) -> None:
    """TOTP verified: the session may now reach role-checked views."""
    row.totp_verified = True
    row.last_seen_at = utcnow()


def private_key(row: StaffSession, half: CookieHalf) -> bytes:
    """Both halves together give the private key; either alone gives nothing."""
    if row.wrapped_private_key is None:
        raise DecryptionError("this session holds no key")
    return unwrap_for_session(row.wrapped_private_key, half.session_key, row.id_hash)


def opens(row: StaffSession, half: CookieHalf) -> bool:
    """Whether the cookie's key opens this server half (one AES-GCM check, microseconds);
    a session without a key (an analyst's) has nothing to check."""
    if row.wrapped_private_key is None:
        return True
    try:
        private_key(row, half)
    except DecryptionError:
        return False
    return True


def end_session(session: Session, session_id: str) -> None:
    """Logout: delete the server half."""
    session.execute(delete(StaffSession).where(StaffSession.id_hash == _id_hash(session_id)))


def end_all_sessions(session: Session, staff_id: str, keep_session_id: str | None = None) -> int:
    """Passphrase change or deactivation: every other session of this person ends."""
    query = delete(StaffSession).where(StaffSession.staff_id == staff_id)
    if keep_session_id is not None:
        query = query.where(StaffSession.id_hash != _id_hash(keep_session_id))
    result = session.execute(query)
    return int(getattr(result, "rowcount", 0) or 0)
