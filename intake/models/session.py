"""Server half of a split-key staff session; the other half lives only in the cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, utcnow


class StaffSession(Base):
    """Deleting this row is what logout and expiry mean: the cookie alone decrypts nothing."""

    __tablename__ = "staff_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LoginFailure(Base):
    """One failed sign-in of one client on an existing account; slows that client only.

    `client` is the rotating keyed identifier of intake.web.ratelimit (never an address);
    rows older than the longest delay are deleted as new failures arrive.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_staff_client", "staff_id", "client"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    client: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
