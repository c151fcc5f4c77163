"""Inviting staff: a one-time setup link whose token is stored only as its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Staff, new_id, utcnow
from intake.services.audit import record
from intake.services.credentials import give_credentials
from intake.services.enrolment import confirm_enrolment
from intake.services.errors import StaffError
from intake.services.staff import checked_new_account, set_new_totp
from intake.settings import Settings

SETUP_VALID = timedelta(hours=72)


def token_hash(token: str) -> str:
    """What the database keeps: a leaked table does not yield usable links."""
    return hashlib.sha256(token.encode()).hexdigest()


def setup_path(token: str) -> str:
    """The path of the setup page on the review app (the host is the operator's)."""
    return f"/setup/{token}"


def invite_staff(session: Session, actor: Staff | None, username: str, role: str) -> str:
    """Create an inactive account and return the one-time token (shown once, never stored)."""
    username = checked_new_account(session, username, role)
    token = secrets.token_urlsafe(32)
    staff = Staff(id=new_id(), username=username, role=role, active=False,
                  setup_token_hash=token_hash(token), setup_expires=utcnow() + SETUP_VALID)
    session.add(staff)
    session.flush()
    record(session, actor, "staff.invite", target=username, detail={"role": role})
    session.commit()
    return token


def find_invite(session: Session, token: str) -> Staff | None:
    """The account a still-valid, unused setup token belongs to, or None."""
    if not token or len(token) > 128:
        return None
    staff = session.scalar(select(Staff).where(Staff.setup_token_hash == token_hash(token)))
    if staff is None or staff.active or staff.deactivated_at is not None:
        return None
    if staff.setup_expires is None or staff.setup_expires <= utcnow():
        return None
    return staff


def awaiting_code(staff: Staff) -> bool:
    """Step two of the setup link: the passphrase is set, the authenticator not yet confirmed."""
    return staff.password_hash is not None and staff.totp_secret is not None


def complete_setup(session: Session, settings: Settings, token: str, passphrase: str) -> Staff:
    """Step one: the invitee chose a passphrase; create their key pair and a TOTP secret.
    The account stays inactive, and the link valid, until a code confirms the secret on the
    same link (confirm_setup): the secret is shown nowhere else."""
    staff = find_invite(session, token)
    if staff is None or awaiting_code(staff):
        raise StaffError("this setup link is not valid any more")
    give_credentials(settings, staff, passphrase)
    set_new_totp(settings, staff)
    record(session, staff, "staff.setup", target=staff.username)
    session.commit()
    return staff


def confirm_setup(session: Session, settings: Settings, token: str, code: str) -> bool:
    """Step two: a code from the authenticator confirms the secret; the account becomes
    active and the link is used up. False (nothing changed) when the code does not match."""
    staff = find_invite(session, token)
    if staff is None or not awaiting_code(staff):
        raise StaffError("this setup link is not valid any more")
    if not confirm_enrolment(settings, staff, code):
        return False
    staff.active = True
    staff.setup_token_hash = None
    staff.setup_expires = None
    record(session, staff, "staff.enrol", target=staff.username, detail={"via": "setup link"})
    session.commit()
    return True
