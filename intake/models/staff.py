"""Staff accounts: role, passphrase hash, TOTP and the wrapped private key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, new_id, utcnow

ROLES = ("admin", "reviewer", "analyst")
READER_ROLES = ("admin", "reviewer")


class Staff(Base):
    """A staff member; only admins and reviewers hold a key pair that cases are wrapped to."""

    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    kek_salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Argon2id costs the KEK of wrapped_private_key was derived with, so changing the
    # settings never locks anyone out; NULL on rows wrapped before revision 0008.
    kek_time_cost: Mapped[int | None] = mapped_column(Integer)
    kek_memory_kib: Mapped[int | None] = mapped_column(Integer)
    kek_parallelism: Mapped[int | None] = mapped_column(Integer)
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email: Mapped[str | None] = mapped_column(String(255))
    # IANA name of the zone this member chose on the account page; "" = the instance's
    # `time_zone` setting (intake/web/display_time.py has the one rule).
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
