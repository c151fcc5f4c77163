"""Instance values stored in the database: the receipt salt and admin-editable settings."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.models import SiteValue
from intake.settings import Settings

RECEIPT_SALT = "receipt_salt"
EDITABLE = ("ack_due_days", "response_due_days", "stats_threshold", "retention_days",
            "admins_need_security_key")
FLAGS = ("admins_need_security_key",)


def get_value(session: Session, key: str) -> str | None:
    """Read one stored value."""
    row = session.get(SiteValue, key)
    return row.value if row else None


def set_value(session: Session, key: str, value: str) -> None:
    """Write one stored value (the caller commits)."""
    row = session.get(SiteValue, key)
    if row is None:
        session.add(SiteValue(key=key, value=value))
    else:
        row.value = value


def receipt_salt(session: Session) -> bytes:
    """Created once per instance; it travels with backups so receipt codes keep working."""
    existing = get_value(session, RECEIPT_SALT)
    if existing:
        return bytes.fromhex(existing)
    try:
        with session.begin_nested():
            session.add(SiteValue(key=RECEIPT_SALT, value=secrets.token_hex(16)))
    except IntegrityError:
        pass
    stored = session.scalar(select(SiteValue.value).where(SiteValue.key == RECEIPT_SALT))
    assert stored is not None
    return bytes.fromhex(stored)


def effective(session: Session, settings: Settings) -> Settings:
    """Settings with the admin's in-app changes applied over the configured ones."""
    rows = session.scalars(select(SiteValue).where(SiteValue.key.in_(EDITABLE))).all()
    changes: dict[str, int | bool] = {
        row.key: bool(int(row.value)) if row.key in FLAGS else int(row.value) for row in rows}
    return settings.replace(**changes) if changes else settings
