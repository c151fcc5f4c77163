"""A case: plaintext triage fields only; everything the reporter wrote is in its items."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, UTCDateTime, hour_floor, new_id

STATUSES = ("new", "in_review", "verified", "escalated", "rejected", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
COUNTED_STATUSES = ("verified", "escalated", "closed")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("in_review", "rejected"),
    "in_review": ("verified", "escalated", "rejected"),
    "verified": ("escalated", "closed", "in_review"),
    "escalated": ("closed", "in_review"),
    "rejected": ("closed", "in_review"),
    "closed": ("in_review",),
}


class Case(Base):
    """Triage state; `urgent` and `consent_stats` are the only reporter answers kept in clear."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_stats", "status", "consent_stats", "id"),  # statistics
        # The inbox orders (services/inbox_order.py): urgent segment / priority filter, rest.
        Index("ix_cases_priority_received", "priority", "received_at", "id"),
        Index("ix_cases_received", "received_at", "id"),
        Index("ix_cases_priority_due", "priority", "ack_due", "response_due", "id"),
        Index("ix_cases_due", "ack_due", "response_due", "id"),
        Index("ix_cases_response_due", "response_due"),  # finds the undated rest at once
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=hour_floor)
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    ack_due: Mapped[date | None] = mapped_column(Date)
    response_due: Mapped[date | None] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lookup_id: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    reply_public_key: Mapped[bytes] = mapped_column(LargeBinary)
    consent_stats: Mapped[bool] = mapped_column(Boolean, default=False)
    unread_followup: Mapped[bool] = mapped_column(Boolean, default=False)
    # A danger-now report that nobody has acknowledged yet (intake/urgent.py escalates it).
    awaiting_ack: Mapped[bool] = mapped_column(Boolean, default=False,
                                               server_default=false())
    # Restricted to named colleagues: other members of its teams see only the reference.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)

    items = relationship(
        "Item", back_populates="case", cascade="all, delete-orphan", passive_deletes=True
    )
    labels = relationship(
        "CaseLabel", back_populates="case", cascade="all, delete-orphan", passive_deletes=True
    )
