"""Creating staff accounts: passphrase hash, key pair wrapped under the passphrase, TOTP."""

from __future__ import annotations

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intake.crypto import open_secret, seal_secret
from intake.models import ROLES, Staff, new_id
from intake.services.credentials import give_credentials
from intake.services.errors import StaffError
from intake.settings import Settings

ISSUER = "Intake review"


def _totp_key(settings: Settings) -> bytes:
    """TOTP secrets are sealed under a key derived from the review app's secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"intake totp v1").derive(
        settings.review_secret_key.encode()
    )


def totp_secret(settings: Settings, staff: Staff) -> str:
    """The base32 TOTP secret, unsealed for verification or enrolment."""
    if staff.totp_secret is None:
        raise StaffError("no TOTP secret")
    return open_secret(_totp_key(settings), "totp", staff.id, staff.totp_secret).decode()


def set_new_totp(settings: Settings, staff: Staff, secret: str | None = None) -> str:
    """A fresh TOTP secret (or the one the terminal already showed); not enrolled until a
    code is confirmed where the secret was shown. Returns its provisioning URI."""
    secret = secret or pyotp.random_base32()
    staff.totp_enrolled = False
    staff.totp_secret = seal_secret(_totp_key(settings), "totp", staff.id, secret.encode())
    staff.totp_last_step = 0
    return pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)


def checked_new_account(session: Session, username: str, role: str) -> str:
    """The username to use for a new account, or StaffError: CLI, invites and admin agree."""
    username = username.strip()
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if not username or len(username) > 64:
        raise StaffError("the username must have 1 to 64 characters")
    taken = session.scalar(
        select(func.count()).select_from(Staff).where(Staff.username == username)
    )
    if taken:
        raise StaffError("that username is taken")
    return username


def create_staff(
    session: Session, settings: Settings, username: str, role: str, passphrase: str,
    secret: str | None = None,
) -> tuple[Staff, str]:
    """Create an account with its key pair; returns it and the TOTP provisioning URI.
    It cannot sign in until enrolment is confirmed (services.enrolment)."""
    username = checked_new_account(session, username, role)
    staff = Staff(id=new_id(), username=username, role=role, active=True)
    give_credentials(settings, staff, passphrase)
    uri = set_new_totp(settings, staff, secret)
    session.add(staff)
    return staff, uri


def staff_count(session: Session) -> int:
    """`make run` prints the first-admin command while this is zero."""
    return session.scalar(select(func.count()).select_from(Staff)) or 0
