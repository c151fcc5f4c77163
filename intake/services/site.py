"""Instance values stored in the database: the receipt salt and admin-editable settings."""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, select
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


# Built once: constructing a statement costs more than running it on SQLite.
_VALUES = select(SiteValue.key, SiteValue.value).where(
    SiteValue.key.in_(bindparam("keys", expanding=True)))


def get_values(session: Session, keys: tuple[str, ...]) -> dict[str, str]:
    """Several stored values in one query (a report reads its salt, deadlines and routing
    setting together: every query on that path is paid by every reporter)."""
    return {str(key): str(value)
            for key, value in session.execute(_VALUES, {"keys": list(keys)}).all()}


def apply_editable(settings: Settings, values: dict[str, str]) -> Settings:
    """Settings with the admin's in-app changes (among `values`) applied over the configured."""
    changes: dict[str, int | bool] = {
        key: bool(int(value)) if key in FLAGS else int(value)
        for key, value in values.items() if key in EDITABLE}
    return settings.replace(**changes) if changes else settings


def effective(session: Session, settings: Settings) -> Settings:
    """Settings with the admin's in-app changes applied over the configured ones."""
    return apply_editable(settings, get_values(session, EDITABLE))
