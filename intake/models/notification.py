"""Content-free events waiting to be batched into a staff notification e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, hour_floor


class PendingNotification(Base):
    """Only a kind and an hour: the e-mail says "something is waiting", nothing more."""

    __tablename__ = "pending_notifications"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=hour_floor)
