"""Admin actions on staff and instance settings; each one is audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from intake.models import KeyWrap, LoginFailure, Staff, StaffSession, utcnow
from intake.services import site
from intake.services.audit import record
from intake.services.errors import StaffError
from intake.services.login import counting_since
from intake.settings import Settings

# name -> (minimum, maximum); retention 0 means "keep forever".
SETTING_RANGES: dict[str, tuple[int, int]] = {
    "ack_due_days": (1, 365),
    "response_due_days": (1, 730),
    "stats_threshold": (2, 1000),
    "retention_days": (0, 36500),
    "admins_need_security_key": (0, 1),
}


@dataclass(frozen=True)
class Offboarded:
    """What a deactivation removed."""

    wraps: int
    sessions: int


def find_staff(session: Session, staff_id: str) -> Staff | None:
    """One staff row by id (ids longer than ours are nobody)."""
    return session.get(Staff, staff_id[:36])


def list_staff(session: Session) -> list[Staff]:
    """Everyone, active first, then by name."""
    return list(session.scalars(
        select(Staff).order_by(Staff.active.desc(), Staff.username)))


def active_admins(session: Session) -> int:
    """How many admins could still sign in."""
    return session.scalar(select(func.count()).select_from(Staff).where(
        Staff.role == "admin", Staff.active.is_(True))) or 0


def deactivate_staff(session: Session, actor: Staff | None, staff_id: str) -> Offboarded:
    """Delete their wraps (crypto-shred their access) and sessions; keep their audit trail."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError("no such staff member")
    if not staff.active and staff.deactivated_at is not None:
        raise StaffError("this account is already deactivated")
    if staff.role == "admin" and staff.active and active_admins(session) <= 1:
        raise StaffError("the last active admin cannot be deactivated")
    wraps = session.execute(delete(KeyWrap).where(KeyWrap.staff_id == staff.id))
    sessions = session.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))
    session.execute(delete(LoginFailure).where(LoginFailure.staff_id == staff.id))
    staff.active = False
    staff.deactivated_at = utcnow()
    staff.public_key = None
    staff.wrapped_private_key = None
    staff.password_hash = None
    staff.totp_secret = None
    staff.setup_token_hash = None
    staff.setup_expires = None
    result = Offboarded(int(getattr(wraps, "rowcount", 0) or 0),
                        int(getattr(sessions, "rowcount", 0) or 0))
    record(session, actor, "staff.deactivate", target=staff.username,
           detail={"wraps_deleted": result.wraps, "sessions_ended": result.sessions})
    session.commit()
    return result


def failed_sign_ins(session: Session, settings: Settings) -> dict[str, int]:
    """Failed sign-ins that still slow someone down, per staff id (all clients together)."""
    rows = session.execute(
        select(LoginFailure.staff_id, func.count())
        .where(LoginFailure.at >= counting_since(settings, utcnow()))
        .group_by(LoginFailure.staff_id))
    return {staff_id: int(count) for staff_id, count in rows}


def clear_failed_sign_ins(session: Session, actor: Staff, staff_id: str) -> int:
    """Forget every failed sign-in on this account, from every client; audited."""
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError("no such staff member")
    cleared = session.execute(delete(LoginFailure).where(LoginFailure.staff_id == staff.id))
    count = int(getattr(cleared, "rowcount", 0) or 0)
    record(session, actor, "staff.clear_failed_sign_ins", target=staff.username,
           detail={"failures_cleared": count})
    session.commit()
    return count


def current_values(session: Session, settings: Settings) -> dict[str, int]:
    """The editable settings as they apply now (stored values over configured ones)."""
    effective = site.effective(session, settings)
    return {name: int(getattr(effective, name)) for name in SETTING_RANGES}


def save_settings(session: Session, settings: Settings, actor: Staff,
                  values: dict[str, int]) -> dict[str, int]:
    """Store changed values (validated against SETTING_RANGES); returns what changed."""
    before = current_values(session, settings)
    changed: dict[str, int] = {}
    for name, value in values.items():
        low, high = SETTING_RANGES[name]
        if not low <= value <= high:
            raise StaffError(f"{name} must be between {low} and {high}")
        if before.get(name) != value:
            site.set_value(session, name, str(value))
            changed[name] = value
    if changed:
        record(session, actor, "settings.change", detail=changed)
    session.commit()
    return changed
