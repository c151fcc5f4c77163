"""Content-free events waiting to be batched into a staff notification e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, hour_floor, new_id


class PendingNotification(Base):
    """Only a kind and an hour: the e-mail says "something is waiting", nothing more."""

    __tablename__ = "pending_notifications"
    __table_args__ = {"sqlite_with_rowid": False}  # no hidden insertion counter (rev. 0009)

    # Random: one row per report or follow-up, so a counter would order submissions.
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=hour_floor)
