"""Approved statistics releases and the privacy-budget ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, new_id, utcnow


class StatsRelease(Base):
    """A frozen, already-suppressed set of tables; only approved ones may be shown publicly."""

    __tablename__ = "stats_releases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    threshold: Mapped[int] = mapped_column(Integer)
    epsilon: Mapped[float | None] = mapped_column(Float)
    filters: Mapped[str] = mapped_column(Text, default="{}")
    payload: Mapped[str] = mapped_column(Text)


class PrivacyLedgerEntry(Base):
    """Every noisy output spends epsilon; the ledger makes the total spend visible."""

    __tablename__ = "privacy_ledger"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    release_id: Mapped[str | None] = mapped_column(
        ForeignKey("stats_releases.id", ondelete="SET NULL")
    )
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(String(32))
    epsilon: Mapped[float] = mapped_column(Float)
