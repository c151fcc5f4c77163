"""Encrypted items of a case and the per-recipient wraps of their data keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base, UTCDateTime, new_id

ITEM_KINDS = ("report", "followup", "reply", "note", "attachment", "safe_copy")
REPORTER_KINDS = ("report", "followup", "attachment")


class Item(Base):
    """One envelope: ciphertext here (or in the blob store), data key only in KeyWrap rows."""

    __tablename__ = "items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # 1, 2, 3 … within the case as stored (services/thread_order.py): the thread's order,
    # which the hour-rounded time cannot give.
    seq: Mapped[int | None] = mapped_column(Integer)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    format_version: Mapped[int] = mapped_column(Integer, default=1)
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    blob_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    blob_size: Mapped[int | None] = mapped_column(Integer)

    case = relationship("Case", back_populates="items")
    wraps = relationship(
        "KeyWrap", back_populates="item", cascade="all, delete-orphan", passive_deletes=True
    )


class KeyWrap(Base):
    """A wrap is a row: adding a reviewer adds rows, removing one deletes them (crypto-shred)."""

    __tablename__ = "key_wraps"
    __table_args__ = (
        UniqueConstraint("item_id", "staff_id", name="uq_key_wraps_item_staff"),
        UniqueConstraint("item_id", "recovery_key_id", name="uq_key_wraps_item_recovery"),
        {"sqlite_with_rowid": False},  # no hidden insertion counter either (revision 0009)
    )

    # Random, not a counter: wraps are written with every report and follow-up, so a
    # sequence would order submissions between audited staff actions (grants, replies).
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    recovery_key_id: Mapped[str | None] = mapped_column(
        ForeignKey("recovery_keys.id", ondelete="CASCADE"), index=True
    )
    for_reporter: Mapped[bool] = mapped_column(Boolean, default=False)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)

    item = relationship("Item", back_populates="wraps")
