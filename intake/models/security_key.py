"""A staff member's WebAuthn security key: a phishing-resistant second factor beside TOTP."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from intake.models.base import Base, UTCDateTime, new_id, utcnow


class SecurityKey(Base):
    """Only public material: the credential id and COSE public key; the secret stays on the key."""

    __tablename__ = "security_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    # fido2's AttestedCredentialData (AAGUID, credential id, CBOR COSE key), as registered.
    credential_data: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
