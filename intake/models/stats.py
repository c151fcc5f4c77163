"""Protected statistics generations, approved releases and the privacy-budget ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, new_id, utcnow


class StatsGeneration(Base):
    """One data state protected once: every number of every period, published or hidden.

    Only the protected result is kept (what any output may show); every view, format and
    the command line slice it, so a repeated request never gets a fresh protection or a
    fresh noise draw. `fingerprint` names the counts and settings it was computed from.
    """

    __tablename__ = "stats_generations"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    threshold: Mapped[int] = mapped_column(Integer)
    epsilon: Mapped[float] = mapped_column(Float)
    audited_with: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(Text)


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
