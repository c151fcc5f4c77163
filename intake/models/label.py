"""Coded labels staff assign after reading a case: the only input to statistics."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.models.base import Base

VOCABULARIES = ("act_type", "perpetrator", "region", "period", "target")


class CaseLabel(Base):
    """One (vocabulary, code) pair on a case; plaintext by design, never free text."""

    __tablename__ = "case_labels"
    __table_args__ = (
        UniqueConstraint("case_id", "vocabulary", "code", name="uq_case_labels_case_vocab_code"),
        Index("ix_case_labels_vocab_code", "vocabulary", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    vocabulary: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))

    case = relationship("Case", back_populates="labels")
