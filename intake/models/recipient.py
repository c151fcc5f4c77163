"""Recipients outside the organisation (a lawyer, a partner NGO): a public key to hand over to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, new_id, utcnow

KEY_KINDS = ("openpgp", "intake")


class ExternalRecipient(Base):
    """Only public material: an OpenPGP certificate or an Intake public key, its fingerprint,
    who added it and which second staff member verified the fingerprint out of band."""

    __tablename__ = "external_recipients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(120))
    key_kind: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(80), unique=True)
    added_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
